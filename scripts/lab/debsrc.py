#!/usr/bin/env python3
"""Print deb-src lines derived from this machine's own apt sources.

Reads /etc/apt/sources.list, /etc/apt/sources.list.d/*.list (one-line style) and
/etc/apt/sources.list.d/*.sources (deb822 style). For every enabled `deb` entry of the
machine's Debian release (suite == VERSION_CODENAME or CODENAME-updates/-security), it prints
the matching `deb-src` line, keeping the entry's own URI and signed-by key. Nothing about any
mirror is hard-coded here: the URIs come from the machine's configuration.

Usage: debsrc.py [APT_ETC_DIR]   (default /etc/apt)
"""
import glob
import os
import re
import sys


def codename() -> str:
    try:
        with open("/etc/os-release") as fh:
            for line in fh:
                if line.startswith("VERSION_CODENAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "bookworm"


def one_line_entries(path):
    with open(path) as fh:
        for raw in fh:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
            if not m:
                continue
            typ, opts, uri, suite, comps = m.groups()
            options = dict(o.split("=", 1) for o in (opts or "").split() if "=" in o)
            yield {"types": [typ], "uris": [uri], "suites": [suite],
                   "components": comps.split(), "signed-by": options.get("signed-by", "")}


def deb822_entries(path):
    with open(path) as fh:
        text = fh.read()
    for para in re.split(r"\n\s*\n", text):
        fields = {}
        key = None
        for raw in para.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1] in (" ", "\t") and key:
                fields[key] += "\n" + raw.strip()
                continue
            if ":" in raw:
                key, val = raw.split(":", 1)
                key = key.strip().lower()
                fields[key] = val.strip()
        if not fields or fields.get("enabled", "yes").lower() == "no":
            continue
        signed = fields.get("signed-by", "")
        if "\n" in signed or "BEGIN PGP" in signed:
            signed = ""  # inline keys cannot be passed on a one-line entry
        yield {"types": fields.get("types", "").split(), "uris": fields.get("uris", "").split(),
               "suites": fields.get("suites", "").split(), "components": fields.get("components", "").split(),
               "signed-by": signed}


def main() -> int:
    etc = sys.argv[1] if len(sys.argv) > 1 else "/etc/apt"
    release = codename()
    wanted = {release, f"{release}-updates", f"{release}-security", f"{release}/updates"}
    entries = []
    main_list = os.path.join(etc, "sources.list")
    if os.path.isfile(main_list):
        entries += list(one_line_entries(main_list))
    for p in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list"))):
        entries += list(one_line_entries(p))
    for p in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources"))):
        entries += list(deb822_entries(p))
    seen = set()
    for e in entries:
        if "deb" not in e["types"] or "main" not in e["components"]:
            continue
        signed = e["signed-by"] or "/usr/share/keyrings/debian-archive-keyring.gpg"
        for uri in e["uris"]:
            for suite in e["suites"]:
                if suite not in wanted:
                    continue
                line = f"deb-src [signed-by={signed}] {uri} {suite} main"
                if line not in seen:
                    seen.add(line)
                    print(line)
    if not seen:
        print(f"debsrc.py: no enabled 'deb' entry for {release} in {etc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
