"""The .nurturekit-cache/ folder: it may only make runs faster, never change what they say."""
import os
import subprocess

from conftest import DEMO_NOW, nk

CACHE = ".nurturekit-cache"


def run(ws, *args):
    return nk("--now", DEMO_NOW, *args, cwd=ws)


def site_bytes(ws):
    return {p.relative_to(ws / "site").as_posix(): p.read_bytes() for p in sorted((ws / "site").rglob("*"))
            if p.is_file()}


def test_cached_runs_say_exactly_what_uncached_runs_say(demo):
    cold = run(demo, "--no-cache", "check", "--format", "json")
    assert not (demo / CACHE).exists(), "--no-cache must not write the cache"
    first, again = run(demo, "check", "--format", "json"), run(demo, "check", "--format", "json")
    assert (demo / CACHE / "parse.pickle").is_file()
    assert cold.out == first.out == again.out and cold.code == first.code == again.code == 1
    assert run(demo, "check").out == run(demo, "--no-cache", "check").out


def test_cache_stays_out_of_git(demo):
    run(demo, "check")
    subprocess.run(["git", "init", "-q", str(demo)], check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=demo,
                            capture_output=True, text=True, check=True).stdout
    assert CACHE not in status and "partners/" in status


def test_cache_is_keyed_by_content_not_modification_time(demo):
    run(demo, "check")
    p = demo / "partners" / "maple-elementary.md"
    st = p.stat()
    text = p.read_text()
    p.write_text(text.replace("kind: school", "kind: schol"))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))   # same mtime, different bytes
    r = run(demo, "check")
    assert r.code == 2 and "NK105" in r.err
    p.write_text(text)
    assert run(demo, "check").code == 1


def test_corrupt_truncated_or_foreign_cache_is_ignored(demo):
    expected = run(demo, "--no-cache", "check", "--format", "json").out
    run(demo, "check")
    cache = demo / CACHE / "parse.pickle"
    good = cache.read_bytes()
    for bad in (good[: len(good) // 2],                          # a crash half-way through a write
                good[:-10] + b"0123456789",                      # flipped bytes
                b"nurturekit-cache\n999\n" + good[21:],          # another format version
                b"\x80\x04not a pickle at all", b""):
        cache.write_bytes(bad)
        assert run(demo, "check", "--format", "json").out == expected
        assert cache.read_bytes() != bad, "a bad cache is replaced by a good one"


def test_unwritable_cache_folder_never_fails_a_run(demo):
    (demo / CACHE).write_text("a file where the folder should be")
    r = run(demo, "check")
    assert r.code == 1 and "internal error" not in r.err


def test_no_change_build_does_nothing_and_any_change_rebuilds(demo):
    assert run(demo, "build").code == 0
    built = site_bytes(demo)
    r = run(demo, "build")
    assert "nothing changed since the last build" in r.out and " 0 written," in r.out
    # an edited partner file: a real build, which rewrites just that partner's page
    p = demo / "partners" / "maple-elementary.md"
    p.write_text(p.read_text().replace("Offer the free teacher workshop", "Offer the free staff workshop"))
    r = run(demo, "build")
    assert "nothing changed" not in r.out and " 1 written," in r.out
    # a page deleted or edited by hand in site/: the next build puts it back
    page = demo / "site" / "partners" / "dr-marcus-lee.html"
    page.unlink()
    r = run(demo, "build")
    assert " 1 written," in r.out and page.read_bytes() == built["partners/dr-marcus-lee.html"]
    # another --now is another build
    assert "nothing changed" not in run(demo, "--now", "2026-12-04 09:00", "build").out


def test_no_change_build_still_reports_warnings(demo):
    p = demo / "partners" / "maple-elementary.md"
    p.write_text(p.read_text() + "\nHis diagnosis of autism was confirmed at the visit.\n")
    first = run(demo, "build")
    second = run(demo, "build")
    assert "nothing changed" in second.out
    assert "warning" in first.err and first.err == second.err
