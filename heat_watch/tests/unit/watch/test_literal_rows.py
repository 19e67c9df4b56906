"""Datapoint rows written as SQL literals for MariaDB's multi-row INSERT."""

from heat_watch.watch.storage import metrics


def _quote(text: str) -> str:
    return "'%s'" % text.replace("'", "''")


def test_numbers_are_double_literals_and_a_single_value_is_written_once_per_column():
    rows = [(7, 1000, 'Count', 60, 1.0, 0.1, 0.1, 0.1, True, None)]
    assert metrics.literal_rows(rows, _quote) == [
        "(7,1000,'Count',60,1.0e0,0.1e0,0.1e0,0.1e0,1,NULL)"]


def test_zeros_keep_their_signs_and_exponents_stay_as_written():
    rows = [(1, 2, None, 1, 2, 0.0, -0.0, 1e-300, False, "it's")]
    assert metrics.literal_rows(rows, _quote) == [
        "(1,2,NULL,1,2.0e0,0.0e0,-0.0e0,1e-300,0,'it''s')"]
