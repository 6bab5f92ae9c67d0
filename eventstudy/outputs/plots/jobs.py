"""Rendering and saving the figures of a run, drawn by a pool of worker processes.

:class:`FigureJob` draws every figure a run asks for (:func:`figure_names`) in forked
worker processes and writes each file atomically; :func:`stale_figures` finds the
figure files of an earlier run that this run does not redraw.
"""

from __future__ import annotations

import importlib
import io
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from eventstudy.core import atomic
from eventstudy.outputs.plots import kinds
from eventstudy.outputs.plots.kinds import EVENT_KINDS, STUDY_KINDS, figure_names
from eventstudy.outputs.plots.numbers import event_rows
from eventstudy.outputs.plots.style import DPI
from eventstudy.outputs.selection import FigureChoice, parse_figures

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.pipeline.results import RunResult

MIME = {"png": "image/png", "svg": "image/svg+xml"}


def check_figures(value: FigureChoice) -> FigureChoice:
    """:func:`eventstudy.outputs.selection.parse_figures`, raising an
    :class:`~eventstudy.core.errors.ArgumentError` (argument ``figures``) for a bad value."""
    from eventstudy.core.errors import ArgumentError

    try:
        return parse_figures(value)
    except ValueError as exc:
        raise ArgumentError(str(exc).removeprefix("--figures "), argument="figures") from None


PNG_COMPRESSION = 6
"""zlib level of the (palette) PNGs."""


SVG_SALT = "eventstudy"
"""Salt of the ids in SVG files unless :rc:`svg.hashsalt` is set (matplotlib's default,
a random salt, gives different files on every run)."""


def render(fig: Figure, fmt: str = "png") -> bytes:
    """The figure as PNG (:data:`DPI`, 256 colours: :func:`_palette_png`) or SVG bytes;
    reruns give the same bytes (SVG: no timestamp, ids salted with :data:`SVG_SALT`)."""
    import matplotlib as mpl

    buffer = io.BytesIO()
    if fmt == "svg":
        with mpl.rc_context({"svg.hashsalt": mpl.rcParams["svg.hashsalt"] or SVG_SALT}):
            fig.savefig(buffer, format="svg", dpi=DPI, metadata={"Date": None})
        return buffer.getvalue()
    if fmt != "png":
        fig.savefig(buffer, format=fmt, dpi=DPI)
        return buffer.getvalue()
    return _palette_png(fig)


def _palette_png(fig: Figure) -> bytes:
    """The figure drawn by Agg at :data:`DPI` as a 256-colour PNG (no dithering).

    The figures are flat colours, lines and light fills: a palette keeps them exact
    to the eye at a quarter of the bytes of an RGB PNG at 200 dpi, which lets the
    report embed four times as many figures within its budget. Read from Agg's buffer:
    the bytes of ``savefig`` to an RGB PNG and back, in about two thirds of the time.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(DPI)
    canvas.draw()
    size = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    palette = image.convert("RGB").quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    palette.save(out, format="png", compress_level=PNG_COMPRESSION)
    return out.getvalue()


@dataclass
class Figures:
    """What :func:`save_figures` wrote.

    Attributes
    ----------
    paths
        File role (``"caar.png"``, ``"<event_id>/car.png"`` ...) to path.
    images
        Figure name (``"caar"``, ``"<event_id>/car"`` ...) to ``(mime type, bytes)`` of
        the first format written, for embedding in the report.
    """

    paths: dict[str, Path] = field(default_factory=dict)
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def _draw(
    result: RunResult, kind: str, event_id: str | None, formats: tuple[str, ...]
) -> list[bytes]:
    """One figure of ``result`` rendered in each of ``formats``.

    The figure is made by :func:`eventstudy.outputs.plots.kinds.figure`, looked up on its
    module when drawing, so that a replacement set there (a test's, a caller's) is used.
    """
    fig = kinds.figure(result, kind, event_id)
    return [render(fig, fmt) for fmt in formats]


_Shown = tuple[str, type[Warning], str, int]
"""A warning shown in a worker: message, category, file and line."""
_worker: dict[str, RunResult] = {}
"""In a figure worker process, ``"result"``: the run it draws (see :func:`_start_worker`)."""


def _start_worker(result: RunResult, parent: int) -> None:
    """Set up a forked figure worker of process ``parent`` to draw ``result``.

    Ctrl-C reaches the whole process group: the parent handles it (cancels what has not
    started and waits for the rest), so the workers ignore it. A thread of the parent
    (the CLI's progress bar, a notebook kernel's) may hold the lock of ``sys.stdout``
    or ``sys.stderr`` at the fork, which would hang the worker on its first write or
    on the flush at exit; the workers never write to them (the parent shows their
    warnings, see :func:`_draw_in_worker`), so they get fresh ones on ``os.devnull``.
    A worker whose parent was killed would wait for work forever: it exits instead
    (:func:`_exit_with_parent`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (open until exit)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _worker["result"] = result


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """Exit this process once process ``parent`` is no longer its parent (it died)."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _draw_in_worker(
    kind: str, event_id: str | None, formats: tuple[str, ...]
) -> tuple[list[bytes], list[_Shown]]:
    """:func:`_draw` in a worker, with the warnings it showed, for the parent to show.

    The warning filters are the parent's (forked), so a warning is shown, ignored or
    raised as an error here just as in the parent; only its display is left to the
    parent (:func:`warnings.showwarning`, which the CLI formats as one line).
    """
    shown: list[_Shown] = []

    def keep(
        message: Warning | str, category: type[Warning], filename: str, lineno: int, *_: object
    ) -> None:
        shown.append((str(message), category, filename, lineno))

    with warnings.catch_warnings():
        warnings.showwarning = keep
        data = _draw(_worker["result"], kind, event_id, formats)
    return data, shown


def figure_workers(n_figures: int, workers: int | None = None) -> int:
    """How many worker processes draw ``n_figures`` figures.

    Parameters
    ----------
    n_figures
        Figures to draw.
    workers
        Processes wanted; default :func:`os.cpu_count`.

    Returns
    -------
    int
        ``workers``, at most one per figure and at least 1 (this process alone). Always
        1 where processes cannot be forked safely: without the ``fork`` start method
        (Windows), on macOS (system libraries are not fork-safe) and in a daemonic
        process (a :class:`multiprocessing.Pool` worker may not have children).
    """
    if (
        sys.platform == "darwin"
        or "fork" not in multiprocessing.get_all_start_methods()
        or multiprocessing.current_process().daemon
    ):
        return 1
    wanted = workers if workers is not None else os.cpu_count() or 1
    return max(1, min(wanted, n_figures))


class FigureJob:
    """Every figure of a run, drawn by worker processes while the caller does other work.

    Creating the job starts the drawing; :meth:`finish` writes the figures in drawing
    order as they come in. Use it as a context manager, so that the workers are shut
    down however the block ends::

        with FigureJob(result, folder) as job:
            ...  # anything else, while the workers draw
            figures = job.finish(progress)

    Parameters
    ----------
    result
        The run.
    folder
        Where :meth:`finish` writes the files (see :func:`save_figures`).
    formats
        Figure formats, among :data:`MIME`.
    figures
        Which events get figures (see :func:`figure_names`): ``"auto"``, ``"all"``,
        ``"none"`` or a number of events.
    workers
        Worker processes (see :func:`figure_workers`; default one per CPU). With one,
        or if no process can be forked, :meth:`finish` draws each figure in this
        process instead.

    Notes
    -----
    The workers are forked: they start in milliseconds with the run, the imported
    modules and matplotlib's settings of this process, and only the rendered bytes
    come back, so the files are byte for byte those of a serial run. They draw a
    figure at a time in drawing order; this process writes every file (atomically,
    with :func:`eventstudy.core.atomic.write_atomic`).
    """

    def __init__(
        self,
        result: RunResult,
        folder: Path,
        *,
        formats: tuple[str, ...] = ("png",),
        figures: FigureChoice = "auto",
        workers: int | None = None,
    ) -> None:
        from eventstudy.core.errors import EventStudyError

        unknown = [f for f in formats if f not in MIME]
        if unknown or not formats:
            raise EventStudyError(f"figure formats must be among {', '.join(MIME)}, not {unknown}")
        self.result = result
        self.folder = folder
        self.formats = tuple(sorted(set(formats), key=lambda f: f != "png"))
        self.names = list(figure_names(result, check_figures(figures)))
        for table in (result.abnormal_returns, result.car):  # indexed once, here: the
            event_rows(table, "")  # workers inherit it
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[Future[tuple[list[bytes], list[_Shown]]]] = []
        n_workers = figure_workers(len(self.names), workers)
        if n_workers > 1:
            for module in ("matplotlib.figure", "matplotlib.backends.backend_agg"):
                importlib.import_module(module)  # once here, not in every worker
            self._pool = ProcessPoolExecutor(
                n_workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(result, os.getpid()),
            )
            try:  # the first submit forks the workers
                self._pending = [
                    self._pool.submit(_draw_in_worker, kind, event_id, self.formats)
                    for _, kind, event_id in self.names
                ]
            except OSError:  # cannot fork (a process or memory limit): draw here instead
                self.close()
                self._pending = []
            except BaseException:
                self.close()
                raise

    def __enter__(self) -> FigureJob:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Cancel the figures not started yet and wait for the workers to exit."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _rendered(self) -> Iterator[list[bytes]]:
        """Each figure's bytes per format, in drawing order (waiting for the workers)."""
        if not self._pending:
            for _, kind, event_id in self.names:
                yield _draw(self.result, kind, event_id, self.formats)
            return
        for future in self._pending:
            data, shown = future.result()
            for warning in shown:
                warnings.showwarning(*warning)
            yield data

    def finish(self, progress: Callable[[str, int, int], None] | None = None) -> Figures:
        """Write every figure into the folder in each format and shut the workers down.

        ``progress(name, done, total)`` is called after each figure is written, in
        drawing order.
        """
        done = Figures()
        total = len(self.names)
        rendered = zip(self.names, self._rendered(), strict=True)
        for i, ((name, _, _), data) in enumerate(rendered, start=1):
            for fmt, blob in zip(self.formats, data, strict=True):
                path = self.folder / f"{name}.{fmt}"
                done.paths[f"{name}.{fmt}"] = atomic.write_atomic(
                    path, lambda f, b=blob: f.write(b)
                )
                done.images.setdefault(name, (MIME[fmt], blob))
            if progress is not None:
                progress(name, i, total)
        self.close()
        return done


def save_figures(
    result: RunResult,
    folder: Path,
    *,
    formats: tuple[str, ...] = ("png",),
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
    figures: FigureChoice = "auto",
) -> Figures:
    """Draw every figure of a run and write it into ``folder`` in each format.

    Parameters
    ----------
    result
        The run.
    folder
        Study figures go to ``folder/<kind>.<fmt>``, event figures to
        ``folder/<event_id>/<kind>.<fmt>``; every file is written atomically.
    formats
        Figure formats, among :data:`MIME`.
    progress
        Called as ``progress(name, done, total)`` after each figure, in drawing order.
    workers
        Processes that draw the figures (default one per CPU; see :class:`FigureJob`).
    figures
        Which events get figures (see :func:`figure_names`).

    Returns
    -------
    Figures
        The files written and the bytes of each figure.
    """
    with FigureJob(result, folder, formats=formats, figures=figures, workers=workers) as job:
        return job.finish(progress)


def stale_figures(
    result: RunResult,
    folder: Path,
    formats: tuple[str, ...] | None,
    figures: FigureChoice = "auto",
) -> list[Path]:
    """Figure files in ``folder`` left by an earlier run that this run will not rewrite.

    Only the names this toolkit writes are considered: ``<kind>.<fmt>`` of every study
    kind and ``<event_id>/<kind>.<fmt>`` of every event in the events file, in every
    format of :data:`MIME`. ``formats`` are the formats this run draws (None: no
    figures) and ``figures`` the events it draws (see :func:`figure_names`); what it
    draws is kept, everything else of those names that exists is returned (the
    figures of events not drawn this time too), so that a folder never mixes figures
    of different runs. Only the folders that exist are looked into, so a study of
    20,000 events costs one listing of ``folder``.
    """
    if not folder.is_dir():
        return []
    drawn = {
        folder / f"{name}.{fmt}"
        for name, _, _ in figure_names(result, check_figures(figures))
        for fmt in formats or ()
    }
    folders = {p.name for p in folder.iterdir() if p.is_dir()}
    events = [e.id for e in result.study.events if e.id in folders]
    names = [*STUDY_KINDS, *(f"{e}/{k}" for e in events for k in EVENT_KINDS)]
    candidates = (folder / f"{name}.{fmt}" for name in names for fmt in MIME)
    return [path for path in candidates if path not in drawn and path.is_file()]
