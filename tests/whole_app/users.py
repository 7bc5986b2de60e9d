from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/")
def list_users() -> list[dict[str, str]]:
    return [{"name": "ada"}]


@router.get("/{user_id:int}")
def read_user(user_id: int) -> dict[str, int]:
    if user_id == 0:
        raise HTTPException(404, "no such user")
    return {"id": user_id}


@router.put("/{user_id:int}")
def update_user(user_id: int) -> dict[str, int]:
    return {"id": user_id}


@router.get("/export")
def export_users() -> StreamingResponse:
    def rows():
        yield b"name\n"
        yield b"ada\n"

    return StreamingResponse(rows(), media_type="text/csv")
