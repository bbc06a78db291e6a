"""The plain-FastAPI peer of Oversight's request endpoints, for benchmarks/request_bench.py.

Written the way the FastAPI full-stack template writes its API (backend/app/api/deps.py and
routes/items.py): a generator session dependency, `CurrentUser` from a PyJWT decode and a
`session.get(User, ...)`, sync endpoints, SQLModel-style public models as `response_model`.
It does the same work Oversight does for the same calls, minus everything Oversight adds
around it (middleware, guards, permission table, row-scope hook, audit):

- the same token (HS256, same issuer/audience), the user and the login session loaded (the
  template loads the user; Oversight also checks the login session is live, so this does too,
  to keep the same round trips);
- the same SQL for an engineer's list (count, then one page ordered by -created_at, id) and
  single read (the request by id within the engineer's assignments);
- the same JSON (RequestRead's fields, including the derived SLA flag and allowed actions);
- a create that takes the next number from the same counter row and inserts the request,
  without audit.

Configured by the environment the bench gives both apps: OVERSIGHT_DATABASE__URL and
OVERSIGHT_AUTH__JWT_SECRET (read directly: this app does not import Oversight).
"""

import os
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import DateTime, String, create_engine, event, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

OPEN = {"new", "assigned", "in_progress", "awaiting_approval"}


class UTC_(TypeDecorator[datetime]):
    """Aware UTC as Oversight stores it: timestamptz on PostgreSQL, naive ISO text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or dialect.name != "sqlite":
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None]
    is_active: Mapped[bool]


class LoginSession(Base):
    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int]
    expires_at: Mapped[datetime] = mapped_column(UTC_)
    revoked_at: Mapped[datetime | None] = mapped_column(UTC_)


class Counter(Base):
    __tablename__ = "number_sequences"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_value: Mapped[int]


class ServiceRequest(Base):
    __tablename__ = "service_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int]
    project_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str]
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTC_)
    updated_at: Mapped[datetime] = mapped_column(UTC_)
    first_response_at: Mapped[datetime | None] = mapped_column(UTC_)
    response_due_at: Mapped[datetime] = mapped_column(UTC_)
    resolution_due_at: Mapped[datetime] = mapped_column(UTC_)
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTC_)
    assigned_engineer_id: Mapped[int | None]
    completed_at: Mapped[datetime | None] = mapped_column(UTC_)
    closed_at: Mapped[datetime | None] = mapped_column(UTC_)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTC_)
    revision_count: Mapped[int]
    created_by_id: Mapped[int | None]


class RequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str
    customer_id: int
    project_id: int | None
    title: str
    description: str
    priority: str
    status: str
    created_at: datetime
    first_response_at: datetime | None
    response_due_at: datetime
    resolution_due_at: datetime
    sla_paused: bool
    is_overdue: bool
    assigned_engineer_id: int | None
    completed_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    revision_count: int
    allowed_actions: list[str]


class RequestsPublic(BaseModel):
    items: list[RequestPublic]
    page: int
    page_size: int
    total: int


class RequestCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    priority: str = "medium"
    customer_id: int


# What each role may do to a request in each state (Oversight's workflow and permission
# table, flattened for the two roles the bench uses).
_ACTIONS = {
    ("engineer", "assigned"): ["start"],
    ("engineer", "in_progress"): ["complete"],
    ("admin", "new"): ["assign", "cancel"],
    ("admin", "assigned"): ["assign", "start", "cancel"],
    ("admin", "in_progress"): ["assign", "complete", "cancel"],
    ("admin", "awaiting_approval"): ["approve", "reject"],
    ("admin", "closed"): ["reopen"],
}


def _public(row: ServiceRequest, user: User, now: datetime) -> RequestPublic:
    clock = row.sla_paused_at or now
    return RequestPublic.model_validate(
        {
            **{name: getattr(row, name) for name in RequestPublic.model_fields if hasattr(row, name)},
            "sla_paused": row.sla_paused_at is not None,
            "is_overdue": row.status in OPEN and clock > row.resolution_due_at,
            "allowed_actions": _ACTIONS.get((user.role, row.status), []),
        }
    )


def make() -> FastAPI:
    url = os.environ["OVERSIGHT_DATABASE__URL"]
    secret = os.environ["OVERSIGHT_AUTH__JWT_SECRET"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args = {"check_same_thread": False} if url.startswith("sqlite") else {}
    engine = create_engine(url, connect_args=connect_args)
    if url.startswith("sqlite"):
        # As Oversight (and SQLAlchemy's pysqlite recipe): transactions begin IMMEDIATE and
        # wait for the write lock up to a busy timeout. Without it, 16 concurrent creates
        # fail with "database is locked" (a transaction that has read cannot become a writer
        # once another has committed); with it both apps queue writers the same way.
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA busy_timeout=5000")

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    def get_db() -> Generator[Session, None, None]:
        with Session(engine) as session:
            yield session

    SessionDep = Annotated[Session, Depends(get_db)]
    bearer = HTTPBearer()
    TokenDep = Annotated[HTTPAuthorizationCredentials, Depends(bearer)]

    def get_current_user(session: SessionDep, token: TokenDep) -> User:
        try:
            payload = jwt.decode(
                token.credentials, secret, algorithms=["HS256"], audience="oversight-api",
                issuer="oversight",
            )  # fmt: skip
        except jwt.InvalidTokenError:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Could not validate credentials")
        user = session.get(User, int(payload["sub"]))
        if user is None or not user.is_active:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Inactive user")
        login = session.get(LoginSession, payload["sid"])
        if login is None or login.revoked_at is not None or login.expires_at <= datetime.now(UTC):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Session ended")
        return user

    CurrentUser = Annotated[User, Depends(get_current_user)]
    app = FastAPI()

    def _scoped(user: User) -> Any:
        statement = select(ServiceRequest)
        if user.role == "engineer":
            statement = statement.where(ServiceRequest.assigned_engineer_id == user.id)
        return statement

    @app.get("/api/v1/requests", response_model=RequestsPublic)
    def read_requests(
        session: SessionDep, current_user: CurrentUser, page: int = 1, page_size: int = 50
    ) -> Any:
        statement = _scoped(current_user)
        count = session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = session.scalars(
            statement.order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.asc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        now = datetime.now(UTC)
        return RequestsPublic(
            items=[_public(row, current_user, now) for row in rows],
            page=page,
            page_size=page_size,
            total=count or 0,
        )

    @app.get("/api/v1/requests/{request_id}", response_model=RequestPublic)
    def read_request(session: SessionDep, current_user: CurrentUser, request_id: int) -> Any:
        row = session.scalars(_scoped(current_user).where(ServiceRequest.id == request_id)).first()
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Request not found")
        return _public(row, current_user, datetime.now(UTC))

    @app.post("/api/v1/requests", response_model=RequestPublic, status_code=201)
    def create_request(
        session: SessionDep, current_user: CurrentUser, item_in: RequestCreate
    ) -> Any:
        number = session.execute(
            update(Counter)
            .where(Counter.name == "service_request")
            .values(last_value=Counter.last_value + 1)
            .returning(Counter.last_value)
        ).scalar_one()
        now = datetime.now(UTC)
        row = ServiceRequest(
            number=f"SR-{number:06d}", customer_id=item_in.customer_id, project_id=None,
            title=item_in.title, description=item_in.description, priority=item_in.priority,
            status="new", created_at=now, updated_at=now, response_due_at=now + timedelta(hours=4),
            resolution_due_at=now + timedelta(days=2), revision_count=0,
            created_by_id=current_user.id,
        )  # fmt: skip
        session.add(row)
        session.commit()
        session.refresh(row)
        return _public(row, current_user, now)

    return app
