"""holopack.notices: one-line notices, held until the work succeeds, some left out."""

from __future__ import annotations

from holopack.notices import held, leaving_out, warn


def test_leaving_out_drops_only_the_notices_that_begin_so_and_only_inside(capsys):
    with leaving_out("--seconds "):
        warn("--seconds 0.2 is 0.06 loops of the 3.333 s clip", "twin.glb")
        warn("the name does not start with a play position", "LOOP.BIN")
    err = capsys.readouterr().err.splitlines()
    assert err == ["holopack: warning: LOOP.BIN: the name does not start with a play position"]
    warn("--seconds 0.2 is 0.06 loops of the 3.333 s clip", "twin.glb")
    assert "--seconds 0.2" in capsys.readouterr().err


def test_leaving_out_inside_held_drops_before_the_held_lines_are_said(capsys):
    with held(), leaving_out("--seconds "):
        warn("--seconds 1 is 0.30 loops", "a.glb")
        warn("--seconds 1 is 0.30 loops", "a.glb")
        warn("facing -z", "a.glb")
        assert capsys.readouterr().err == ""  # held until the block succeeds
    assert capsys.readouterr().err.splitlines() == ["holopack: warning: a.glb: facing -z"]
