"""The one exception cors_routes raises for a policy it refuses to serve."""

__all__ = ["CORSConfigError"]


class CORSConfigError(ValueError):
    """A CORS configuration that would be wrong or unsafe, found when it is defined.

    One error lists every problem of a policy, each with a hint, so a user fixes them
    all in one go instead of meeting them one run at a time.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            lines = "\n".join(f"  - {problem}" for problem in self.problems)
            message = f"{len(self.problems)} problems in this CORS policy:\n{lines}"
        super().__init__(message)
