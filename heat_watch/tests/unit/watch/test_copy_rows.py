"""PostgreSQL COPY text of datapoint rows: every number written exactly,
whether a single value's text is reused or each is written apart."""

import pytest

from heat_watch.watch.storage import metrics


def _reference(row: tuple) -> str:
    metric_id, timestamp, unit, resolution, count, total, low, high, has_raw, raw = row
    return '%d\t%d\t%s\t%d\t%r\t%r\t%r\t%r\t%s\t%s\n' % (
        metric_id, timestamp, '\\N' if unit is None else unit, resolution, float(count),
        float(total), float(low), float(high), 't' if has_raw else 'f',
        '\\N' if raw is None else raw.replace('\\', '\\\\').replace('\t', '\\t'))


@pytest.mark.parametrize('row', [
    (1, 1000, 'Percent', 60, 1.0, 0.1, 0.1, 0.1, True, None),  # a single value
    (1, 1000, 'Percent', 60, 1, 1 / 3, 1 / 3, 1 / 3, True, None),  # int count
    (2, 2000, None, 1, 1.0, 0.0, -0.0, 0.0, False, None),  # zeros keep their signs
    (2, 2000, None, 1, 1.0, -0.0, -0.0, -0.0, False, None),
    (3, 3000, 'Count', 60, 3.0, 6.0, 1.0, 3.0, False, '[1, 2, 3]'),  # statistic values
    (3, 3000, 'Count', 60, 2.0, 4.0, 2.0, 2.0, False, 'tab\there\\'),  # equal, not single
    (4, 4000, 'None', 60, 1.0, 1.174271e+108, 1.174271e+108, 1.174271e+108, True, None),
    (4, 4000, 'None', 60, 1.0, -8.515920e-109, -8.515920e-109, -8.515920e-109, True, None),
])
def test_each_row_is_written_as_the_plain_format_writes_it(row):
    assert metrics.copy_rows([row]).getvalue() == _reference(row)


def test_rows_follow_one_another_in_order():
    rows = [(i, i * 1000, 'None', 60, 1.0, float(i), float(i), float(i), True, None)
            for i in range(5)]
    assert metrics.copy_rows(rows).getvalue() == ''.join(map(_reference, rows))
