"""Result sets on disk: atomic create and add_scenario, byte-for-byte raw files, paths that stay
inside the set, and clear errors for broken manifests."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import tomli_w
import tomllib
from fiogen import CS_CLONES, LOCAL_GROUP, fiogen  # noqa: F401

from kataio_tui.model.results import Provenance, ScenarioKey, ScenarioRecord
from kataio_tui.results import store
from kataio_tui.results.loader import load_set
from kataio_tui.results.store import MANIFEST, ResultSet, ResultSetError, find_result_sets

PROV = Provenance(made_by="test", kataio_version="0.1.0", fio_version="fio-3.33", hosts=["h1"])


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (hidden ones too) with its SHA-256: 'nothing changed' means equal."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def record(runtime: str = "bare", pattern: str = "randread", bs: int = 65536, clients: int = 1, **kw) -> ScenarioRecord:
    return ScenarioRecord(runtime=runtime, pattern=pattern, block_size=bs, clients=clients, **kw)


@pytest.fixture
def raw(fiogen) -> bytes:  # noqa: F811
    return fiogen.get(CS_CLONES)  # real client/server output, banner text included


@pytest.fixture
def made(tmp_path, raw) -> ResultSet:
    return ResultSet.create(tmp_path / "sets" / "one", "one", PROV, plan={"preset": "x", "clients": [1, 2]},
                            scenarios=[(record(clients=2), [("c0.json", raw)], "[job]\nrw=randread\n")])


def test_create_and_load_round_trip(made, raw):
    loaded = ResultSet.load(made.path)
    assert loaded.name == "one" and loaded.manifest.plan == {"preset": "x", "clients": [1, 2]}
    assert loaded.manifest.provenance.hosts == ["h1"] and loaded.manifest.provenance.fio_version == "fio-3.33"
    (scenario,) = loaded.manifest.scenarios
    assert scenario.key == ScenarioKey("bare", "randread", 65536, 2, 0)
    assert loaded.read_raw(scenario.files[0]) == raw  # byte for byte, banner and all
    assert loaded.read_raw(scenario.jobfile) == b"[job]\nrw=randread\n"
    assert not [p for p in made.path.parent.iterdir() if p.name.startswith(".")]  # no staging left
    data = tomllib.loads((made.path / MANIFEST).read_text())
    assert data["name"] == "one" and data["scenarios"][0]["files"] == scenario.files


def test_create_refuses_an_existing_directory_and_leaves_it_alone(made, raw):
    before = tree_digest(made.path)
    with pytest.raises(ResultSetError, match="already exists"):
        ResultSet.create(made.path, "again", PROV, scenarios=[(record(), [("x.json", raw)], None)])
    assert tree_digest(made.path) == before


def test_failure_mid_create_leaves_nothing(tmp_path, raw):
    """A real failure inside create: the scenario source raises after one scenario was written."""
    def scenarios():
        yield record(), [("c0.json", raw)], None
        raise RuntimeError("the run was interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        ResultSet.create(tmp_path / "half", "half", PROV, scenarios=scenarios())
    assert list(tmp_path.iterdir()) == []


def test_duplicate_raw_names_fail_create_cleanly(tmp_path, raw):
    with pytest.raises(ResultSetError, match="two raw files named 'c.json'"):
        ResultSet.create(tmp_path / "dup", "dup", PROV, scenarios=[(record(), [("c.json", raw), ("c.json", raw)], None)])
    assert list(tmp_path.iterdir()) == []


def test_crash_at_the_final_rename_leaves_nothing(tmp_path, raw, monkeypatch):
    """Simulated: a crash exactly at the rename that publishes the set cannot be produced for real,
    so os.rename raises here (a mock, for that one fault)."""
    def crash(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(store.os, "rename", crash)
    with pytest.raises(ResultSetError, match="cannot create: Input/output error"):
        ResultSet.create(tmp_path / "s", "s", PROV, scenarios=[(record(), [("c.json", raw)], None)])
    assert list(tmp_path.iterdir()) == []


def test_empty_name_is_a_clear_error(tmp_path):
    with pytest.raises(ResultSetError, match="name"):
        ResultSet.create(tmp_path / "s", "", PROV)
    assert list(tmp_path.iterdir()) == []


# ---- add_scenario ------------------------------------------------------------------------------


def test_add_scenario_adds_and_replaces(made, raw, fiogen):  # noqa: F811
    other = fiogen.get(LOCAL_GROUP)
    made.add_scenario(record("kata", clients=1), [("k.json", other)], None)
    assert [s.runtime for s in ResultSet.load(made.path).manifest.scenarios] == ["bare", "kata"]
    # same key again (a resumed interrupted scenario): the record and its files are replaced
    old_files = ResultSet.load(made.path).manifest.scenarios[0].files
    made.add_scenario(record(clients=2, status="ok"), [("n0.json", other), ("n1.json", other)], None)
    loaded = ResultSet.load(made.path)
    assert len(loaded.manifest.scenarios) == 2
    replaced = next(s for s in loaded.manifest.scenarios if s.runtime == "bare")
    assert [Path(f).name for f in replaced.files] == ["n0.json", "n1.json"]
    assert all(loaded.read_raw(f) == other for f in replaced.files)
    assert not any((made.path / f).exists() for f in old_files if f not in replaced.files)
    assert not [p for p in made.path.iterdir() if p.name.startswith(".staging")]
    assert load_set(made.path).client_count == 2 + 1


def test_add_scenario_failure_keeps_the_old_state(made, raw, monkeypatch):
    """Simulated: the manifest write fails after the new files were moved into place (a full disk
    cannot be arranged reliably here), so save_manifest raises; the old files come back."""
    before = tree_digest(made.path)
    manifest_before = made.manifest.model_copy(deep=True)

    def full_disk(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ResultSet, "save_manifest", full_disk)
    with pytest.raises(OSError, match="No space"):
        made.add_scenario(record(clients=2), [("new.json", b"{}")], None)
    assert tree_digest(made.path) == before
    assert made.manifest == manifest_before
    monkeypatch.undo()
    # a real failure (two raw files with one name) also leaves everything as it was
    with pytest.raises(ResultSetError):
        made.add_scenario(record(clients=2), [("a.json", raw), ("a.json", raw)], None)
    assert tree_digest(made.path) == before


def test_names_that_clean_up_to_one_directory_are_refused(made, raw):
    made.add_scenario(record("kata qemu"), [("a.json", raw)], None)
    before = tree_digest(made.path)
    with pytest.raises(ResultSetError, match="would share the directory"):
        made.add_scenario(record("kata-qemu"), [("b.json", raw)], None)
    assert tree_digest(made.path) == before


def test_update_and_delete(made):
    made.update(provenance=PROV.model_copy(update={"kernel": "6.1.0"}))
    assert ResultSet.load(made.path).manifest.provenance.kernel == "6.1.0"
    parent = made.path.parent
    made.delete()
    assert list(parent.iterdir()) == []


# ---- loaders stay inside the set ---------------------------------------------------------------


def _rewrite_manifest(path: Path, change) -> None:
    data = tomllib.loads((path / MANIFEST).read_text())
    change(data)
    (path / MANIFEST).write_text(tomli_w.dumps(data))


@pytest.mark.parametrize("bad", ["../outside.json", "raw/../../outside.json", "/etc/passwd", ".", "raw/a\x00b"])
def test_manifest_paths_outside_the_set_are_refused(made, bad):
    (made.path.parent / "outside.json").write_text("secret")
    _rewrite_manifest(made.path, lambda d: d["scenarios"][0]["files"].append(bad))
    with pytest.raises(ResultSetError) as info:
        ResultSet.load(made.path)
    assert str(made.path / MANIFEST) in str(info.value) and repr(bad) in str(info.value)


def test_symlink_pointing_outside_is_refused(made, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    link = made.path / "raw" / "link.json"
    link.symlink_to(secret)
    _rewrite_manifest(made.path, lambda d: d["scenarios"][0]["files"].append("raw/link.json"))
    with pytest.raises(ResultSetError, match="lies outside the result set"):
        ResultSet.load(made.path)
    # a symlinked jobfile too
    _rewrite_manifest(made.path, lambda d: (d["scenarios"][0]["files"].remove("raw/link.json"),
                                            d["scenarios"][0].update(jobfile="raw/link.json")))
    with pytest.raises(ResultSetError, match="lies outside"):
        ResultSet.load(made.path)


def test_symlink_inside_the_set_is_fine(made):
    (scenario,) = made.manifest.scenarios
    link = made.path / "raw" / "alias.json"
    link.symlink_to(made.path / scenario.files[0])
    _rewrite_manifest(made.path, lambda d: d["scenarios"][0]["files"].append("raw/alias.json"))
    assert len(ResultSet.load(made.path).manifest.scenarios[0].files) == 2


# ---- broken manifests --------------------------------------------------------------------------


def test_bad_toml_names_the_manifest(made):
    (made.path / MANIFEST).write_text('name = "x"\ncreated = \n')
    with pytest.raises(ResultSetError) as info:
        ResultSet.load(made.path)
    assert str(info.value).startswith(f"{made.path / MANIFEST}: not valid TOML")


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["scenarios"][0].update(block_size=-4096), "scenarios.0.block_size"),
    (lambda d: d["scenarios"][0].update(clients="many"), "scenarios.0.clients"),
    (lambda d: d["scenarios"][0].update(status="exploded"), "scenarios.0.status"),
    (lambda d: d["scenarios"][0].pop("runtime"), "scenarios.0.runtime"),
    (lambda d: d.pop("name"), "name"),
    (lambda d: d.update(created="yesterday"), "created"),
    (lambda d: d["provenance"].pop("kataio_version"), "provenance.kataio_version"),
    (lambda d: d.update(scenarios="none"), "scenarios"),
])
def test_bad_field_names_the_manifest_and_the_field(made, change, field):
    _rewrite_manifest(made.path, change)
    with pytest.raises(ResultSetError) as info:
        ResultSet.load(made.path)
    message = str(info.value)
    assert message.startswith(f"{made.path / MANIFEST}: ") and f"{field}:" in message


def test_not_a_set(tmp_path):
    with pytest.raises(ResultSetError, match="not a directory"):
        ResultSet.load(tmp_path / "nope")
    with pytest.raises(ResultSetError, match=f"{MANIFEST}: missing"):
        ResultSet.load(tmp_path)
    (tmp_path / MANIFEST).write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ResultSetError, match="not UTF-8 text"):
        ResultSet.load(tmp_path)


def test_find_result_sets_lists_good_and_broken_and_skips_staging(made, tmp_path):
    sets = made.path.parent
    broken = sets / "broken"
    broken.mkdir()
    (broken / MANIFEST).write_text("name = \n")
    (sets / ".one.staging-abc").mkdir()
    (sets / "not-a-set").mkdir()
    found = dict(find_result_sets([sets, made.path]))
    assert set(found) == {made.path, broken}
    assert isinstance(found[made.path], ResultSet) and isinstance(found[broken], ResultSetError)
    assert find_result_sets([tmp_path / "missing"]) == []


def test_manifest_write_is_atomic_replace(made):
    """The manifest is replaced by rename: an open reader keeps the old inode's complete text."""
    path = made.path / MANIFEST
    with open(path, "rb") as old:
        inode = os.fstat(old.fileno()).st_ino
        made.update(name="renamed")
        assert os.stat(path).st_ino != inode
        assert b'name = "one"' in old.read()
    assert ResultSet.load(made.path).name == "renamed"
