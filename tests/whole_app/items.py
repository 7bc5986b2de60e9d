from fastapi import APIRouter

router = APIRouter()
admin = APIRouter(prefix="/admin")


@router.post("/items")
def create_item() -> dict[str, int]:
    return {"id": 1}


@router.delete("/items/{name}")
def delete_item(name: str) -> None:
    return None


@router.get("/boom")
def boom() -> None:
    raise RuntimeError("an unhandled error")


@admin.get("/stats")
def stats() -> dict[str, int]:
    return {"users": 1}


router.include_router(admin)  # nested: /admin/stats
