"""Alarms and history items as compact rows: the wire form of the listing
RPCs that answer thousands at once (``list_alarm_rows``,
``alarm_history_rows`` in :mod:`heat_watch.watch.rpcapi`).

A :class:`RowPage` names its columns once and carries one list of values per
alarm or item, in the order of the columns: what the database gave, without a
record built, sent and read back for every row (a 10,000-alarm listing spent
most of its time doing that). The values mean what the fields of the same
name of :mod:`heat_watch.watch.model`'s records mean; a reader finds a value
by its column's name, so that columns may be added.
"""

from __future__ import annotations

import dataclasses

# An alarm's row. ``type`` threshold or composite; the metric's fields (and
# ``dimensions``, [[name, value], ...]) None for a composite alarm, whose
# rule is ``expression``; ``actions`` state -> URLs; times epoch ms.
ALARM_COLUMNS = ('id', 'project_id', 'user_id', 'name', 'description', 'type',
                 'namespace', 'metric_name', 'dimensions', 'statistic', 'percentile',
                 'period', 'evaluation_periods', 'comparison', 'threshold', 'expression',
                 'actions', 'actions_enabled', 'repeat_actions', 'severity', 'created_at',
                 'updated_at', 'state', 'state_reason', 'state_transitioned_at')
# A history item's row: ``type`` one of model.HISTORY_TYPES, ``detail`` the
# item's detail as the JSON text it was stored as (read only by the API that
# renders it, often not at all).
HISTORY_COLUMNS = ('id', 'alarm_id', 'alarm_name', 'alarm_type', 'project_id', 'timestamp',
                   'type', 'detail')


@dataclasses.dataclass
class RowPage:
    """A page of rows; ``marker`` continues the listing (None: the last page)."""

    columns: list[str]
    rows: list[list]
    marker: str | None = None

    def to_wire(self) -> dict:
        """Plain JSON."""
        return {'columns': list(self.columns), 'rows': self.rows, 'marker': self.marker}

    @classmethod
    def from_wire(cls, data: dict) -> RowPage:
        """From :meth:`to_wire`'s form."""
        return cls(list(data['columns']), data['rows'], data.get('marker'))

    def index(self) -> dict[str, int]:
        """column name -> position in a row."""
        return {name: i for i, name in enumerate(self.columns)}
