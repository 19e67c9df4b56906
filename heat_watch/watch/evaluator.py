"""Alarm evaluation in the watch engine: the fast path and the sweep.

The fast path evaluates the alarms of the metrics an ingestion commit just
wrote, so a breaching datapoint reaches the notifier at once. The periodic
sweep evaluates every alarm (of this engine's partition) in batches, for time
passing (missing data, repeating actions). Both read statistics with one
set-based query per batch and group of alarms sharing a window.
"""

import datetime
import json
import queue
import threading
import time
from collections import defaultdict

from oslo_config import cfg
from oslo_log import log

from heat_watch.common import db_errors, exceptions
from heat_watch.watch import composite, evaluation, outbox, rules, statistics
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import metrics as metric_storage
from heat_watch.watch.storage import records

LOG = log.getLogger(__name__)

GROUP = 'watch_engine'
OPTS = [
    cfg.IntOpt('evaluation_interval', default=10, min=1,
               help='Seconds between sweeps that evaluate every alarm (time '
                    'passing, missing data, repeated actions). New datapoints '
                    'trigger the evaluation of their alarms at once.'),
    cfg.IntOpt('evaluation_batch_size', default=1000, min=1,
               help='Alarms evaluated per database round trip.'),
    cfg.BoolOpt('evaluate_open_period', default=True,
                help='Let the period still gathering data decide ALARM as soon as '
                     'its statistic can only move further past the threshold '
                     '(Maximum above, Minimum below, SampleCount above, Sum above '
                     'for non-negative data), instead of waiting for it to close. '
                     'False: only complete periods count, as in AWS.'),
    cfg.FloatOpt('outbox_poll_interval', default=5.0, min=0.1,
                 help='Seconds between looks at the alarm action outbox when '
                      'nothing woke its sender (a transition with actions '
                      'wakes it at once; this catches the rest).'),
    cfg.FloatOpt('outbox_retry_interval', default=2.0, min=0.1,
                 help='Seconds the outbox sender waits before trying again '
                      'when publishing an alarm action failed.'),
]



def rule_of(alarm: dict) -> evaluation.AlarmRule:
    """The evaluation settings of a stored threshold alarm (its typed columns)."""
    percentile = alarm['percentile']
    return evaluation.AlarmRule(
        statistic=alarm['statistic'],
        extended_statistic=None if percentile is None else records.percentile_text(percentile),
        period=alarm['period'], evaluation_periods=alarm['evaluation_periods'],
        datapoints_to_alarm=alarm['datapoints_to_alarm'], threshold=alarm['threshold'],
        comparison_operator=alarm['comparison'],
        treat_missing_data=alarm['missing_data'] or 'missing',
        evaluate_low_sample_count_percentile=alarm['low_sample_count'])


class AlarmEvaluator:
    """Evaluates alarms and hands the actions of transitions to the notifier."""

    def __init__(self, conf: cfg.ConfigOpts, alarms: alarm_storage.AlarmStore,
                 sender: outbox.ActionPublisher, owns=None):
        self.conf = conf
        self.alarms = alarms
        # Actions are recorded with their transitions and published from the
        # outbox's thread: a broker outage never holds up an evaluation.
        self.outbox = outbox.ActionOutbox(
            alarms, sender, poll_interval=conf.watch_engine.outbox_poll_interval,
            retry_interval=conf.watch_engine.outbox_retry_interval)
        # owns(alarm_id) -> bool: this engine's share of the sweep.
        self._owns = owns or (lambda _alarm_id: True)
        self._keys: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # Metrics that some alarm watches; the fast path skips the others
        # without a query. Refreshed by every sweep (alarms created through
        # another engine) and by watch() (alarms created through this one).
        self._watched: set[str] | None = None
        # Keys watched while a sweep ran, which its own reading may miss.
        self._watched_meanwhile: set[str] = set()
        self._watch_lock = threading.Lock()

    def watch(self, metric_key: str) -> None:
        """An alarm on this metric was created or changed."""
        with self._watch_lock:
            self._watched_meanwhile.add(metric_key)
            if self._watched is not None:
                self._watched.add(metric_key)

    # -- the fast path -------------------------------------------------------

    def metrics_written(self, keys: set[str]) -> None:
        """Ingestion committed datapoints of these metrics (cheap: queues).

        Metrics no alarm watches are dropped here, in the writer's thread:
        waking the fast-path thread for nothing cost a thread switch per
        commit, a fifth of a one-datum PutMetricData.
        """
        watched = self._watched
        if watched is not None:
            keys = keys & watched
            if not keys:
                return
        self._keys.put(keys)

    def start(self) -> None:
        """Start the fast path's and the outbox's threads."""
        self.outbox.start()
        self._thread = threading.Thread(target=self._fast_path, name='alarm-fast-path',
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop both threads (unsent actions stay in the outbox)."""
        self._stop.set()
        self._keys.put(None)
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.outbox.stop()

    def _fast_path(self) -> None:
        while not self._stop.is_set():
            keys = self._keys.get()
            if keys is None:
                return
            # Merge what queued up meanwhile: one evaluation per metric.
            while True:
                try:
                    more = self._keys.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._stop.set()
                    break
                keys = keys | more
            if self._watched is not None:
                keys = keys & self._watched
            if not keys:
                continue
            try:
                self.evaluate_alarms(self.alarms.for_metric_keys(keys))
            except Exception as error:
                # A database outage is logged once (db_errors), not per commit.
                if db_errors.unavailable(error, operation='alarm evaluation') is None:
                    LOG.exception('Evaluating the alarms of %d new metrics failed', len(keys))

    # -- the sweep -------------------------------------------------------------

    def sweep(self) -> int:
        """Evaluate every alarm this engine owns; returns how many."""
        batch = self.conf.watch_engine.evaluation_batch_size
        count = 0
        watched: set[str] = set()
        with self._watch_lock:
            self._watched_meanwhile = set()
        for rule_type in rules.in_sweep_order():
            after = ''
            while not self._stop.is_set():
                page = self.alarms.page(rule_type.stored_type, after, batch)
                if not page:
                    break
                after = page[-1]['id']
                watched.update(a['metric_key'] for a in page if a['metric_key'])
                mine = [a for a in page if self._owns(a['id'])]
                rule_type.evaluate(self, mine)
                count += len(mine)
        if not self._stop.is_set():
            with self._watch_lock:
                self._watched = watched | self._watched_meanwhile
        return count

    # -- metric alarms -----------------------------------------------------------

    def evaluate_alarms(self, alarms: list[dict], now: datetime.datetime | None = None) -> None:
        """Evaluate metric alarms, grouped by the window they read."""
        now = now or datetime.datetime.now(datetime.UTC)
        groups: dict[tuple, list] = defaultdict(list)
        open_period = self.conf.watch_engine.evaluate_open_period
        for alarm in alarms:
            rule = rule_of(alarm)
            start, end = evaluation.evaluation_window(rule, now)
            raw = rule.extended_statistic is not None
            # With open periods on, an aggregate window also reads the open
            # period: one read serves the alarms it may decide and those it
            # may not (they ignore its bucket), where a read of each kind
            # cost the sweep a second query per window. Percentiles (raw
            # values) never decide early and read no further.
            read_end = end + rule.period if open_period and not raw else end
            early = open_period and evaluation.may_decide_early(rule)
            groups[(start, read_end, rule.period, alarm['unit'], raw)].append(
                (alarm, rule, early))
        changes: list[alarm_storage.Transition] = []
        for (start, end, period, unit, raw), members in groups.items():
            buckets = self._buckets([a['metric_key'] for a, _, _ in members],
                                    start, end, period, unit, raw)
            for alarm, rule, early in members:
                change = self._evaluate_one(alarm, rule, buckets.get(alarm['metric_key'], {}),
                                            now, early)
                if change is not None:
                    changes.append(change)
        self._evaluate_parents(self.change_states(changes))

    def _buckets(self, keys: list[str], start: int, end: int, period: int,
                 unit: str | None, raw: bool) -> dict[str, dict[int, statistics.StatSet]]:
        """metric_key -> {period start (epoch s) -> StatSet}, all units merged
        unless the alarms name one."""
        ids = alarm_storage.metric_ids(self.alarms.engine, list(set(keys)))
        if not ids:
            return {}
        key_of = {metric_id: key for key, metric_id in ids.items()}
        store = metric_storage.MetricStore(self.alarms.engine)
        start_ms, end_ms, period_ms = start * 1000, end * 1000, period * 1000
        rows = store.bucket_aggregates(list(key_of), start_ms, end_ms, period_ms, unit)
        raws = store.raw_values(list(key_of), start_ms, end_ms, period_ms, unit) if raw else {}
        result: dict[str, dict[int, statistics.StatSet]] = defaultdict(dict)
        # Rows unpacked as tuples: a Row's attribute access costs ~0.4 us per
        # column, and a sweep reads several rows per alarm (the open period's
        # too, since evaluate_open_period).
        stat_set = statistics.StatSet
        for metric_id, bucket_ms, row_unit, count, total, low, high, no_raw in rows:
            values = None
            if raw and not no_raw:
                values = raws.get((metric_id, bucket_ms, row_unit), [])
            stat = stat_set(count, total, low, high, values)
            series = result[key_of[metric_id]]
            bucket = bucket_ms // 1000
            series[bucket] = series[bucket].merge(stat) if bucket in series else stat
        return result

    def _evaluate_one(self, alarm: dict, rule: evaluation.AlarmRule, buckets: dict,
                      now: datetime.datetime,
                      open_period: bool = False) -> alarm_storage.Transition | None:
        """Evaluate one alarm; the transition to record, if its state changes."""
        try:
            outcome = evaluation.evaluate(rule, buckets, now, alarm['state'],
                                          open_period=open_period)
        except exceptions.HeatWatchError:
            LOG.exception('Alarm %s cannot be evaluated', alarm['id'])
            return None
        if outcome.keep_current or outcome.state == alarm['state']:
            self._repeat_actions(alarm, rule.period)
            return None
        reason_data = dict(outcome.reason_data)
        if alarm['unit']:
            reason_data['unit'] = alarm['unit']
        actions = tuple(self._actions(alarm, outcome.state))
        return alarm_storage.Transition(alarm, outcome.state, outcome.reason,
                                        json.dumps(reason_data), bool(actions), actions)

    # -- composite alarms ----------------------------------------------------------

    def _evaluate_parents(self, changed: list[dict]) -> None:
        """Evaluate the composite alarms whose rules name a changed alarm."""
        if not changed:
            return
        names_by_project: dict[str, set[str]] = defaultdict(set)
        for alarm in changed:
            names_by_project[alarm['project_id']].add(alarm['name'])
        parents = [a for a in self.alarms.composites_of(list(names_by_project))
                   if names_by_project[a['project_id']]
                   & composite.parse(a['rule']).alarm_names()]
        if parents:
            self.evaluate_composites(parents)

    def evaluate_composites(self, alarms: list[dict]) -> None:
        """Evaluate composite alarms from their children's current states."""
        for alarm in alarms:
            rule = composite.parse(alarm['rule'])
            children = self.alarms.find(alarm['project_id'], names=sorted(rule.alarm_names()),
                                        types=(alarm_storage.METRIC, alarm_storage.COMPOSITE))
            by_name = {c['name']: composite.ChildState(
                c['state'], metric_storage_time(c['state_transitioned_at'])) for c in children}
            state, reason, data = composite.evaluate_composite(rule, by_name.get)
            if state != alarm['state']:
                self.change_state(alarm, state, reason, json.dumps(data))
            else:
                self._repeat_actions(alarm, 60)

    # -- transitions and actions ---------------------------------------------------

    def change_state(self, alarm: dict, state: str, reason: str, reason_data: str | None,
                     cascade: bool = True) -> dict | None:
        """Record a transition and run the new state's actions (once).

        Returns the updated alarm, or None when another writer changed it
        first. With ``cascade``, the composite alarms that refer to this one
        are evaluated next (batch evaluations do that once per batch instead).
        """
        actions = tuple(self._actions(alarm, state))
        change = alarm_storage.Transition(alarm, state, reason, reason_data, bool(actions),
                                          actions)
        updated = self.change_states([change])
        if updated and cascade and state != alarm['state']:
            self._evaluate_parents(updated)
        return updated[0] if updated else None

    def change_states(self, changes: list[alarm_storage.Transition]) -> list[dict]:
        """Record transitions in one transaction, the actions of those that
        won their compare-and-set in the outbox with them; returns the winners."""
        if not changes:
            return []
        won, sent = [], False
        for change, updated in zip(changes, self.alarms.transitions(changes), strict=True):
            alarm = change.alarm
            if updated is None:
                LOG.debug('Alarm %s was changed concurrently; its new state is theirs',
                          alarm['id'])
                continue
            LOG.info('Alarm %s (%s) went from %s to %s', alarm['name'], alarm['id'],
                     alarm['state'], change.state)
            sent = sent or change.run_actions
            won.append(updated)
        if sent:
            self.outbox.wake()
            # Let the woken sender take the GIL now rather than at the next
            # switch interval: the actions of a breach leave at once.
            time.sleep(0)
        return won

    @staticmethod
    def _actions(alarm: dict, state: str) -> list[str]:
        if not alarm['actions_enabled']:
            return []
        return list(records.actions_of(alarm).get(state) or [])

    def _repeat_actions(self, alarm: dict, period: int) -> None:
        """Run the actions again for alarms that repeat them every period."""
        if not alarm['repeat_actions']:
            return
        actions = self._actions(alarm, alarm['state'])
        last = alarm['actions_run_at'] or alarm['state_transitioned_at']
        if actions and metric_storage.now_ms() - last >= period * 1000:
            if self.alarms.mark_actions_run(alarm, actions):
                self.outbox.wake()


def metric_storage_time(stamp_ms: int) -> datetime.datetime:
    """Aware UTC datetime of epoch milliseconds."""
    return datetime.datetime.fromtimestamp(stamp_ms / 1000, datetime.UTC)
