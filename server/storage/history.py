"""A room's past: finished episodes, the controls applied to it, its checkpoints."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from server.storage.connection import Database
from server.storage.models import CheckpointRow, ControlRow, EpisodeRow, as_utc, utcnow
from server.storage.records import CheckpointRecord, ControlRecord, EpisodeRecord


def checkpoint_of(row: CheckpointRow) -> CheckpointRecord:
    return CheckpointRecord(
        id=row.id,
        room_id=row.room_id,
        tick=row.tick,
        seq=row.seq,
        path=row.path,
        size_bytes=row.size_bytes,
        reason=row.reason,
        created_at=as_utc(row.created_at),
    )


class HistoryStore(Database):
    # --------------------------------------------------------------- episodes

    def add_episodes(self, room_id: int, episodes: list[EpisodeRecord]) -> None:
        """Store finished episodes (one batch insert)."""
        if not episodes:
            return
        now = utcnow()
        rows = [
            {
                "room_id": room_id,
                "episode": e.episode,
                "end_tick": e.end_tick,
                "reason": e.reason,
                "products_created": e.products_created,
                "total_reward": e.total_reward,
                "efficiency": e.efficiency,
                "stats": e.stats,
                "metrics": e.metrics,
                "ended_at": now,
            }
            for e in episodes
        ]
        with self.session() as session:
            session.execute(insert(EpisodeRow), rows)
            session.commit()

    def episodes(self, room_id: int, up_to_tick: int | None = None) -> list[EpisodeRecord]:
        """The room's finished episodes, oldest first; those that ended by `up_to_tick` if given."""
        query = select(EpisodeRow).where(EpisodeRow.room_id == room_id)
        if up_to_tick is not None:
            query = query.where(EpisodeRow.end_tick <= up_to_tick)
        with self.session() as session:
            return [
                EpisodeRecord(
                    episode=row.episode,
                    end_tick=row.end_tick,
                    reason=row.reason,
                    products_created=row.products_created,
                    total_reward=row.total_reward,
                    efficiency=row.efficiency,
                    stats=dict(row.stats),
                    metrics=dict(row.metrics),
                    ended_at=as_utc(row.ended_at),
                )
                for row in session.scalars(query.order_by(EpisodeRow.episode))
            ]

    # --------------------------------------------------------------- controls

    def add_controls(self, room_id: int, controls: list[ControlRecord]) -> None:
        """Store controls applied to the room (one batch insert); each `seq` is new for the room."""
        if not controls:
            return
        now = utcnow()
        rows = [
            {
                "room_id": room_id,
                "seq": c.seq,
                "tick": c.tick,
                "kind": c.kind,
                "value": c.value,
                "user_id": c.user_id,
                "at": now,
            }
            for c in controls
        ]
        with self.session() as session:
            session.execute(insert(ControlRow), rows)
            session.commit()

    def controls(
        self, room_id: int, after_seq: int = 0, up_to_tick: int | None = None
    ) -> list[ControlRecord]:
        """The room's controls after `after_seq`, in order; those at ticks up to `up_to_tick` if given."""
        query = select(ControlRow).where(ControlRow.room_id == room_id, ControlRow.seq > after_seq)
        if up_to_tick is not None:
            query = query.where(ControlRow.tick <= up_to_tick)
        with self.session() as session:
            return [
                ControlRecord(seq=row.seq, tick=row.tick, kind=row.kind, value=row.value, user_id=row.user_id)
                for row in session.scalars(query.order_by(ControlRow.seq))
            ]

    def truncate_room_past(self, room_id: int, seq: int, episode: int) -> None:
        """Forget what a room recorded after its checkpoint holding control `seq` in episode
        `episode`: the controls after `seq` and the episodes from `episode` on (a restart after
        SIGKILL goes on from that checkpoint and records them again as they come)."""
        with self.session() as session:
            session.execute(delete(ControlRow).where(ControlRow.room_id == room_id, ControlRow.seq > seq))
            session.execute(
                delete(EpisodeRow).where(EpisodeRow.room_id == room_id, EpisodeRow.episode >= episode)
            )
            session.commit()

    # --------------------------------------------------------------- checkpoints

    def add_checkpoint(
        self, room_id: int, tick: int, seq: int, path: str, size_bytes: int, reason: str
    ) -> CheckpointRecord:
        row = CheckpointRow(
            room_id=room_id,
            tick=tick,
            seq=seq,
            path=path,
            size_bytes=size_bytes,
            reason=reason,
            created_at=utcnow(),
        )
        with self.session() as session:
            session.add(row)
            session.commit()
            return checkpoint_of(row)

    def checkpoint_before(self, room_id: int, tick: int) -> CheckpointRecord | None:
        """The latest checkpoint with checkpoint.tick <= `tick` (the latest taken, among equal ticks)."""
        query = (
            select(CheckpointRow)
            .where(CheckpointRow.room_id == room_id, CheckpointRow.tick <= tick)
            .order_by(CheckpointRow.tick.desc(), CheckpointRow.seq.desc(), CheckpointRow.id.desc())
            .limit(1)
        )
        with self.session() as session:
            row = session.scalars(query).first()
            return checkpoint_of(row) if row else None

    def latest_checkpoint(self, room_id: int) -> CheckpointRecord | None:
        query = (
            select(CheckpointRow)
            .where(CheckpointRow.room_id == room_id)
            .order_by(CheckpointRow.tick.desc(), CheckpointRow.seq.desc(), CheckpointRow.id.desc())
            .limit(1)
        )
        with self.session() as session:
            row = session.scalars(query).first()
            return checkpoint_of(row) if row else None

    def checkpoints(self, room_id: int) -> list[CheckpointRecord]:
        """The room's checkpoints, oldest tick first."""
        query = (
            select(CheckpointRow)
            .where(CheckpointRow.room_id == room_id)
            .order_by(CheckpointRow.tick, CheckpointRow.seq, CheckpointRow.id)
        )
        with self.session() as session:
            return [checkpoint_of(row) for row in session.scalars(query)]
