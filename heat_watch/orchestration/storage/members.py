"""Members of group resources (autoscaling groups), oldest first: which
member a scale-down removes is the oldest, as in Heat."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from oslo_db import exception as db_exc

from heat_watch.common import exceptions
from heat_watch.orchestration.storage import models
from heat_watch.orchestration.storage.util import now_ms

MEMBERS = models.GroupMember.__table__


@dataclasses.dataclass
class MemberRecord:
    """One member of a group."""

    id: int
    stack_id: str
    group_name: str
    member_name: str
    physical_id: str | None
    created_at: int


class MemberStore:
    """Adds, lists and removes the members of a group resource."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def add(self, stack_id: str, group_name: str, member_name: str,
            physical_id: str | None = None) -> MemberRecord:
        """Record a new member; Conflict when the group has one of that name."""
        values = {'stack_id': stack_id, 'group_name': group_name, 'member_name': member_name,
                  'physical_id': physical_id, 'created_at': now_ms()}
        try:
            with self.engine.begin() as conn:
                member_id = conn.execute(sa.insert(MEMBERS).values(values)) \
                    .inserted_primary_key[0]
        except db_exc.DBDuplicateEntry:
            raise exceptions.Conflict(reason='group %s already has a member %s'
                                             % (group_name, member_name))
        return MemberRecord(id=member_id, **values)

    def list(self, stack_id: str, group_name: str) -> list[MemberRecord]:
        """The group's members, oldest first."""
        query = sa.select(MEMBERS).where(MEMBERS.c.stack_id == stack_id,
                                         MEMBERS.c.group_name == group_name) \
            .order_by(MEMBERS.c.id)
        with self.engine.connect() as conn:
            return [MemberRecord(**dict(row._mapping)) for row in conn.execute(query)]

    def set_physical_id(self, member_id: int, physical_id: str) -> None:
        """Record what a member became once created."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(MEMBERS).where(MEMBERS.c.id == member_id)
                         .values(physical_id=physical_id))

    def remove(self, member_ids: list[int]) -> int:
        """Forget members (removed from their group); returns how many."""
        if not member_ids:
            return 0
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(MEMBERS).where(MEMBERS.c.id.in_(member_ids))) \
                .rowcount

    def remove_group(self, stack_id: str, group_name: str) -> int:
        """Forget every member of a group (the group is deleted)."""
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(MEMBERS).where(
                MEMBERS.c.stack_id == stack_id, MEMBERS.c.group_name == group_name)).rowcount
