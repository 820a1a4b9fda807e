"""Writes src/target/objects.tsv, hipscut's offline table of named objects, from OpenNGC
(Mattia Verga, CC-BY-SA-4.0, https://github.com/mattiaverga/OpenNGC) as the pyongc package
ships it: every Messier object and every object with a common name.

    python3 -m venv venv && venv/bin/pip download --no-deps pyongc && unzip pyongc-*.whl
    python3 tools/target_table.py pyongc/ongc.db
"""
import math
import os
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
rows = db.execute(
    "select name, messier, ra, dec, majax, commonnames from objects "
    "where (messier is not null and messier != '') "
    "or (commonnames is not null and commonnames != '') order by name"
).fetchall()
out = os.path.join(os.path.dirname(__file__), "..", "src", "target", "objects.tsv")
with open(out, "w") as f:
    f.write("# Named objects for --target when Sesame cannot be reached.\n")
    f.write("# Positions (J2000) and major axes from OpenNGC by Mattia Verga, CC-BY-SA-4.0,\n")
    f.write("# https://github.com/mattiaverga/OpenNGC (made by tools/target_table.py).\n")
    f.write("# names (|-separated)\tra_deg\tdec_deg\tmajor_axis_arcmin\n")
    for name, messier, ra, dec, majax, common in rows:
        if ra is None or dec is None:
            continue
        names = [name]
        if name.startswith(("NGC", "IC")):
            prefix = "NGC" if name.startswith("NGC") else "IC"
            names.append(prefix + " " + name[len(prefix):].lstrip("0"))
        if messier:
            names.append("M" + messier.lstrip("0"))
        names += [c.strip() for c in (common or "").split(",") if c.strip()]
        size = "" if majax is None else f"{majax:.2f}"
        f.write(f"{'|'.join(names)}\t{math.degrees(ra):.6f}\t{math.degrees(dec):.6f}\t{size}\n")
print("wrote", out, len(rows), "objects")
