"""SIGTERM and SIGHUP cancel like Ctrl-C; a second signal during clean-up does not abandon it."""

from __future__ import annotations

import signal

from safety_procs import python_child

from kataio_tui.safety.signals import exit_status

PROGRAM = """
    import sys, threading, time
    from pathlib import Path
    from kataio_tui.safety.signals import CancelOnSignals, exit_status
    cancel = threading.Event()
    def said(signum, count):
        print(f"signal {signum} #{count}", flush=True)
    with CancelOnSignals(cancel, said) as caught:
        print("ready", flush=True)
        while not cancel.wait(0.1):
            pass
        for step in range(10):  # an orderly clean-up that takes a while
            time.sleep(0.1)
        Path(sys.argv[1]).write_text("cleaned")
    sys.exit(exit_status(caught.first))
"""


def test_sigterm_cancels_and_a_second_signal_does_not_abandon_the_clean_up(tmp_path):
    marker = tmp_path / "done"
    child = python_child(PROGRAM, str(marker))
    child.send_signal(signal.SIGTERM)
    assert child.stdout.readline().strip() == f"signal {signal.SIGTERM} #1"
    child.send_signal(signal.SIGINT)  # impatient: Ctrl-C, then a hang-up, while kataio cleans up
    assert child.stdout.readline().strip() == f"signal {signal.SIGINT} #2"
    child.send_signal(signal.SIGHUP)
    assert child.stdout.readline().strip() == f"signal {signal.SIGHUP} #3"
    assert child.wait(60) == 143 and marker.read_text() == "cleaned"


def test_sighup_alone_is_a_cancel_too(tmp_path):
    child = python_child(PROGRAM, str(tmp_path / "done"))
    child.send_signal(signal.SIGHUP)
    assert child.wait(60) == 129 and (tmp_path / "done").exists()
    assert exit_status(signal.SIGINT) == 130


INTERRUPTED = """
    import sys, time
    from pathlib import Path
    from kataio_tui.safety.signals import InterruptOnSignals, SignalInterrupt, exit_status
    try:
        with InterruptOnSignals() as caught:
            try:
                print("ready", flush=True)
                time.sleep(600)
            finally:  # the probe container's removal, say
                print("cleaning", flush=True)
                for step in range(10):
                    time.sleep(0.1)
                Path(sys.argv[1]).write_text("cleaned")
    except SignalInterrupt as exc:
        sys.exit(exit_status(exc.signum))
"""


def test_the_first_signal_interrupts_and_later_ones_cannot_cut_the_finally_short(tmp_path):
    child = python_child(INTERRUPTED, str(tmp_path / "done"))
    child.send_signal(signal.SIGTERM)
    assert child.stdout.readline().strip() == "cleaning"
    child.send_signal(signal.SIGTERM)
    child.send_signal(signal.SIGINT)
    assert child.wait(60) == 143 and (tmp_path / "done").read_text() == "cleaned"
