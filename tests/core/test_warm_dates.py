"""dateparser warmed in the extraction children's fork server for runs of many pages
(``core/warm.py``, ``core/extract/warm_dates.py``): the children start with every locale's
regexes compiled, and dates come out the same as from a cold parser."""
from __future__ import annotations

import json

import pytest

from newsbeam.core import time_limit
from tests.core.test_time_limit import in_fresh_process

# Strings htmldate hands to dateparser; the first no locale reads.
DATES = ["Zzqx 12 blorf 2020", "3. März 2021", "12 de octubre de 2019", "2019年10月12日",
         "Publié le 4 juin 2020 à 10h", "quarta-feira, 8 de julho de 2020", "Dec 5th, 2018"]

CHILD_SEES = """
    from newsbeam.core.lazy import ImportedFunction
    from newsbeam.core.time_limit import TimeLimited
    from newsbeam.core.warm import warm_start
    warm_start(30, 1, many_pages={many})
    runner = TimeLimited(ImportedFunction("tests.helpers.child_functions", "compiled_locales"),
                         30, "extract")
    print(runner(None))
    runner.close()
"""


@pytest.mark.skipif(not time_limit.FORK_SERVER, reason="a fork server on Linux only")
def test_children_of_a_run_of_many_pages_start_with_every_locale_compiled():
    assert int(in_fresh_process(CHILD_SEES.format(many=True))) >= 200  # dateparser has 205
    assert int(in_fresh_process(CHILD_SEES.format(many=False))) == 0  # small runs: none


PARSED = """
    import json
    {warm}
    from htmldate.extractors import get_external_parser
    parsed = [get_external_parser().get_date_data(text) for text in {dates!r}]
    print(json.dumps([[str(p["date_obj"]), p["locale"], p["period"]] for p in parsed]))
"""


def test_a_warm_parser_reads_dates_as_a_cold_one():
    warm = in_fresh_process(PARSED.format(warm="import newsbeam.core.extract.warm_dates",
                                          dates=DATES))
    cold = in_fresh_process(PARSED.format(warm="", dates=DATES))
    assert warm == cold
    assert sum(date != "None" for date, _locale, _period in json.loads(cold)) >= 4
