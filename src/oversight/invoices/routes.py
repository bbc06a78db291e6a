from fastapi import APIRouter

router = APIRouter(prefix="/invoices", tags=["invoices"])
