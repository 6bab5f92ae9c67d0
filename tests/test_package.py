"""The public API: lazy exports, the result object in a notebook, start-up cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.figure import Figure

import eventstudy as es
from eventstudy.core.errors import EventStudyError

EVENTS = Path(__file__).resolve().parents[1] / "events.yaml"


def test_every_public_name_resolves():
    assert set(es.__all__) - {"__version__"} == set(es._EXPORTS)
    for name in es.__all__:
        assert getattr(es, name) is not None
    with pytest.raises(AttributeError):
        es.no_such_name  # noqa: B018


def test_cli_import_does_not_load_the_heavy_stack():
    code = (
        "import sys, eventstudy.cli.app; "
        "heavy = [m for m in ('pandas', 'matplotlib', 'scipy', 'exchange_calendars') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.fixture(scope="module")
def result():
    study = es.load_study(EVENTS)
    return study.run(source="demo", event_ids=["ft-ai-talent", "election-2024"])


def test_notebook_result_object(result, tmp_path):
    assert list(result.car.columns[:13]) == [
        "event_id", "ticker", "day0", "window_start", "window_end", "car", "car_se",
        "car_t", "car_p", "n_est", "alpha", "beta", "sigma",
    ]  # fmt: skip
    assert result.to_frame() is result.car
    assert set(result.car["event_id"]) == {"ft-ai-talent", "election-2024"}
    text = str(result.summary())
    assert "SYNTHETIC" in text and "CAR[+0,+1]" in text
    html = result._repr_html_()
    assert "<table" in html and "SYNTHETIC" in html
    assert "SYNTHETIC" in repr(result)
    assert "CAR[+0,+0]" in result.summary(window=(0, 0)).as_text()
    for kind in ("car", "ar"):
        fig = result.plot("ft-ai-talent", kind=kind)
        assert isinstance(fig, Figure)
        assert any("SYNTHETIC" in t.get_text() for t in fig.texts)
    with pytest.raises(EventStudyError, match="no event with id 'nope'"):
        result.plot("nope")
    with pytest.raises(EventStudyError, match="unknown plot kind"):
        result.plot("ft-ai-talent", kind="pie")
    written = result.save(tmp_path, plots=False)
    assert written["car"] == tmp_path / "us-china-ai" / "car.csv"
    assert not list(tmp_path.rglob("*.tmp"))


def test_car_plot_draws_the_car_path_and_band(result):
    fig = result.plot("ft-ai-talent", kind="car")
    ax = fig.axes[0]
    rows = result.abnormal_returns
    baba = rows[(rows["event_id"] == "ft-ai-talent") & (rows["ticker"] == "BABA")]
    line = next(line for line in ax.lines if line.get_label() == "BABA")
    assert list(line.get_xdata()) == list(baba["rel_day"])
    # anchored at day -1: the path minus its value at day -1
    at_minus1 = baba.loc[baba["rel_day"] == -1, "car"].iloc[0]
    assert line.get_ydata() == pytest.approx((baba["car"].to_numpy() - at_minus1) * 100)
