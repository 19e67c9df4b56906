"""The API's side of group commit: concurrent submits share sends, each
caller gets its own outcome, and nobody returns before its send answered."""

import threading
import time

import pytest

from heat_watch.common import coalescing


class Receiver:
    """A slow far side that records what each send carried."""

    def __init__(self, delay: float = 0.01):
        self.delay = delay
        self.sends: list[list] = []
        self.done: set = set()
        self.in_flight = 0
        self.most_in_flight = 0
        self.timeouts: list = []
        self._lock = threading.Lock()

    def send(self, items: list, timeout: float | None = None) -> list:
        with self._lock:
            self.timeouts.append(timeout)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.sends.append(list(items))
        time.sleep(self.delay)
        outcomes = []
        for item in items:
            if item[1] == 'bad':
                outcomes.append(ValueError('bad item %s' % item[0]))
            else:
                self.done.add(item[0])
                outcomes.append('stored %s' % item[0])
        with self._lock:
            self.in_flight -= 1
        return outcomes


def _run_concurrently(coalescer, items, receiver=None):
    results, errors = {}, {}

    def one(item):
        try:
            results[item[0]] = coalescer.submit(item)
            # Answered only once the far side finished with this very item.
            if receiver is not None:
                assert item[0] in receiver.done
        except Exception as error:
            errors[item[0]] = error

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def test_concurrent_submits_share_sends_and_each_gets_its_own_result():
    receiver = Receiver()
    coalescer = coalescing.Coalescer(receiver.send, max_in_flight=1)
    items = [(i, 'good') for i in range(40)]
    results, errors = _run_concurrently(coalescer, items, receiver)
    assert errors == {}
    assert results == {i: 'stored %d' % i for i in range(40)}
    assert len(receiver.sends) < 40  # coalesced
    assert sorted(i for send in receiver.sends for i, _ in send) == list(range(40))


def test_a_failing_item_fails_only_its_own_caller():
    receiver = Receiver()
    coalescer = coalescing.Coalescer(receiver.send, max_in_flight=1)
    items = [(i, 'bad' if i == 7 else 'good') for i in range(20)]
    results, errors = _run_concurrently(coalescer, items, receiver)
    assert list(errors) == [7]
    assert str(errors[7]) == 'bad item 7'
    assert sorted(results) == [i for i in range(20) if i != 7]


def test_a_failed_send_fails_the_items_it_carried_and_no_other():
    calls = []

    def send(items, timeout):
        calls.append(list(items))
        if len(calls) == 1:
            time.sleep(0.05)  # the others queue behind the first send
            raise TimeoutError('no answer')
        return ['ok'] * len(items)

    coalescer = coalescing.Coalescer(send, max_in_flight=1)
    first = threading.Thread(target=lambda: pytest.raises(TimeoutError, coalescer.submit, 'a'))
    first.start()
    time.sleep(0.01)
    results, errors = _run_concurrently(coalescer, ['b', 'c', 'd'])
    first.join(5)
    assert calls[0] == ['a']
    assert errors == {}
    assert results == {'b': 'ok', 'c': 'ok', 'd': 'ok'}


def test_sends_under_way_never_exceed_the_limit_and_slots_come_back():
    receiver = Receiver(delay=0.005)
    coalescer = coalescing.Coalescer(receiver.send, max_in_flight=2)
    for _ in range(3):
        results, errors = _run_concurrently(coalescer, [(i, 'good') for i in range(30)])
        assert len(results) == 30 and not errors
    assert receiver.most_in_flight <= 2
    assert coalescer._in_flight == 0
    assert not coalescer._waiting


def test_sends_stay_within_the_size_limit_but_a_large_item_goes_alone():
    receiver = Receiver(delay=0.02)
    coalescer = coalescing.Coalescer(receiver.send, max_in_flight=1, max_size=10,
                                     size=lambda item: item[2])
    items = [(i, 'good', 4) for i in range(12)] + [(99, 'good', 50)]
    results, errors = _run_concurrently(coalescer, items)
    assert not errors and len(results) == 13
    for send in receiver.sends:
        assert len(send) == 1 or sum(item[2] for item in send) <= 10


def test_a_lone_caller_sends_on_its_own_thread():
    threads = []
    coalescer = coalescing.Coalescer(
        lambda items, timeout: threads.append(threading.get_ident()) or ['ok'] * len(items))
    assert coalescer.submit('x') == 'ok'
    assert threads == [threading.get_ident()]


def test_an_item_queued_past_its_timeout_leaves_unsent_and_its_caller_is_told():
    receiver = Receiver(delay=0.6)
    coalescer = coalescing.Coalescer(receiver.send)
    first = threading.Thread(target=coalescer.submit, args=(('slow', 'ok'),))
    first.start()
    time.sleep(0.1)  # 'slow' is being sent; 'late' queues behind it
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        coalescer.submit(('late', 'ok'), timeout=0.2)
    waited = time.monotonic() - started
    first.join(5)
    assert 0.2 <= waited < 0.5  # its own timeout, not the send ahead of it
    assert [[item[0] for item in sent] for sent in receiver.sends] == [['slow']]
    assert 'late' not in receiver.done
    # The queue holds nothing stale: the next caller is sent alone.
    assert coalescer.submit(('next', 'ok'), timeout=5) == 'stored next'
    assert [item[0] for item in receiver.sends[-1]] == ['next']


def test_a_send_gets_the_earliest_time_left_of_the_items_it_carries():
    receiver = Receiver(delay=0.3)
    coalescer = coalescing.Coalescer(receiver.send)
    threads = [threading.Thread(target=coalescer.submit, args=((name, 'ok'), timeout))
               for name, timeout in (('a', None), ('b', 5.0), ('c', 2.0))]
    threads[0].start()
    time.sleep(0.05)
    threads[1].start()
    threads[2].start()
    for thread in threads:
        thread.join(5)
    assert receiver.timeouts[0] is None  # 'a' alone, no timeout given
    assert len(receiver.sends) == 2 and 1.0 < receiver.timeouts[1] <= 2.0


class GatedReceiver:
    """A far side whose first send waits for the test's go-ahead."""

    def __init__(self):
        self.sends: list[list] = []
        self.gate = threading.Event()

    def send(self, items: list, timeout: float | None = None) -> list:
        self.sends.append(list(items))
        if len(self.sends) == 1:
            assert self.gate.wait(10)
        return ['ok'] * len(items)


def _until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def _two_callers_then_the_first_returns(coalescer, receiver):
    """Callers 1 and 2 under way at once; 1 rides the first send alone and
    returns, 2 then leads the next send. The thread of caller 2."""
    first = threading.Thread(target=coalescer.submit, args=(1,))
    first.start()
    _until(lambda: receiver.sends)
    second = threading.Thread(target=coalescer.submit, args=(2,))
    second.start()
    _until(lambda: len(coalescer._waiting) == 1)
    receiver.gate.set()
    first.join(5)
    return second


def test_a_send_lingers_for_the_caller_answered_a_moment_ago():
    receiver = GatedReceiver()
    coalescer = coalescing.Coalescer(receiver.send, linger=5.0)
    second = _two_callers_then_the_first_returns(coalescer, receiver)
    time.sleep(0.05)  # the first caller's client, coming back
    assert receiver.sends == [[1]]  # 2 is lingering for a sibling
    began = time.monotonic()
    coalescer.submit(3)
    second.join(5)
    assert receiver.sends == [[1], [2, 3]]
    assert time.monotonic() - began < 2.0  # the arrival ended the linger


def test_without_linger_the_caller_answered_a_moment_ago_rides_alone():
    receiver = GatedReceiver()
    coalescer = coalescing.Coalescer(receiver.send)
    second = _two_callers_then_the_first_returns(coalescer, receiver)
    second.join(5)
    coalescer.submit(3)
    assert receiver.sends == [[1], [2], [3]]


def test_a_linger_ends_at_its_bound_when_nobody_comes():
    receiver = GatedReceiver()
    coalescer = coalescing.Coalescer(receiver.send, linger=0.2)
    began = time.monotonic()
    second = _two_callers_then_the_first_returns(coalescer, receiver)
    second.join(5)
    assert not second.is_alive()
    assert receiver.sends == [[1], [2]]
    assert 0.2 <= time.monotonic() - began < 2.0


def test_a_lone_caller_never_lingers():
    receiver = GatedReceiver()
    receiver.gate.set()
    coalescer = coalescing.Coalescer(receiver.send, linger=5.0)
    began = time.monotonic()
    for item in range(5):
        assert coalescer.submit(item) == 'ok'
    assert time.monotonic() - began < 1.0
    assert receiver.sends == [[0], [1], [2], [3], [4]]


def test_two_lingering_senders_never_send_an_empty_batch():
    # Two send slots lingering at once: the one woken second found the queue
    # taken by the other and sent nothing but an empty batch.
    receiver = Receiver(delay=0.005)
    coalescer = coalescing.Coalescer(receiver.send, max_in_flight=2, linger=0.05)
    for _round in range(5):
        items = [(len(receiver.done) + i, 'ok') for i in range(6)]
        results, errors = _run_concurrently(coalescer, items, receiver)
        assert not errors and len(results) == len(items)
    assert [] not in receiver.sends
