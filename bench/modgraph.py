#!/usr/bin/env python3
"""Writes a module graph as a GOPROXY tree, for bench/cold-graph.sh.

    python3 bench/modgraph.py TREE PREFIX [PREFIX...]    writes every graph under TREE
    python3 bench/modgraph.py --main PREFIX              prints the go.mod of a project needing the graph

Every PREFIX gets the same graph (same seed) under its own module paths (PREFIX/m000, ...), so each
prefix is a graph no cache has seen, and all of them cost the same to fetch. The shape follows
what proxy.golang.org serves for a mid-sized service:
  - MODULES modules (default 160): 3 large (24, 12 and 8 MB of source), 12 medium (1-3 MB) and the
    rest small (20-200 KB); source files of about 2-16 KB, deflated about 3:1 like Go source;
  - each module requires 0-5 later ones (a DAG), a third of them at an older version than the one
    selected, so the graph holds go.mod files of versions whose zips the build never needs;
  - three quarters of the go.mod files say `go 1.19` (pruned module graphs, as most of today's
    modules), a quarter `go 1.16` (older modules: the go command loads their requirements' go.mod
    files too, older versions included);
  - zips follow the module zip rules: every name under `<module>@<version>/`, a go.mod at the root.
"""
import os
import random
import sys
import zipfile

MODULES = int(os.environ.get("MODULES", "160"))
SEED = 20260101
WORDS = ("func var const type struct interface return if else for range map chan go defer select case "
         "switch default package import nil err ctx string int byte error bool len append make new "
         "Reader Writer Buffer Client Server Request Response Handler Config Options Context Value").split()


def sizes(rng):
    """Uncompressed bytes of each module's source, by index."""
    out = []
    for i in range(MODULES):
        if i < 3:
            out.append((24 << 20, 12 << 20, 8 << 20)[i])
        elif i < 15:
            out.append(rng.randint(1 << 20, 3 << 20))
        else:
            out.append(rng.randint(20 << 10, 200 << 10))
    # Large modules anywhere in the graph, not first in the go.mod.
    rng.shuffle(out)
    return out


def graph(rng):
    """(versions, requirements, go version) per module: requirements are (index, version) pairs."""
    versions, reqs, gover = [], [], []
    for i in range(MODULES):
        # The selected version is the newest; a third of the modules also have an older one in the graph.
        versions.append(["v1.2.0", "v1.1.0"] if rng.random() < 0.34 else ["v1.2.0"])
    for i in range(MODULES):
        r = []
        later = list(range(i + 1, MODULES))
        for j in rng.sample(later, min(len(later), rng.randint(0, 5))):
            r.append((j, versions[j][-1] if rng.random() < 0.34 else versions[j][0]))
        reqs.append(sorted(r))
        gover.append("1.16" if rng.random() < 0.25 else "1.19")
    return versions, reqs, gover


def gomod(path, requires, go="1.19"):
    text = "module %s\n\ngo %s\n" % (path, go)
    if requires:
        text += "\nrequire (\n" + "".join("\t%s %s\n" % r for r in requires) + ")\n"
    return text


def lines(rng):
    pool = []
    for _ in range(4000):
        n = rng.randint(2, 12)
        pool.append("\t" + " ".join(rng.choice(WORDS) + (str(rng.randint(0, 999)) if rng.random() < 0.3 else "")
                                    for _ in range(n)) + "\n")
    return pool


def write_version(tree, rng, pool, path, version, size, requires, go):
    d = os.path.join(tree, path, "@v")
    os.makedirs(d, exist_ok=True)
    mod = gomod(path, requires, go)
    with open(os.path.join(d, version + ".mod"), "w") as f:
        f.write(mod)
    with open(os.path.join(d, version + ".info"), "w") as f:
        f.write('{"Version":"%s","Time":"2025-01-0%sT00:00:00Z"}\n' % (version, version[3]))
    prefix = "%s@%s/" % (path, version)
    with zipfile.ZipFile(os.path.join(d, version + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(prefix + "go.mod", mod)
        z.writestr(prefix + "LICENSE", "Copyright 2025 The Bench Authors.\n" * 20)
        left, n = size, 0
        while left > 0:
            want = min(left, rng.randint(2 << 10, 16 << 10))
            body = ["package p%d\n\n" % (n // 20)]
            got = 0
            while got < want:
                line = rng.choice(pool)
                body.append(line)
                got += len(line)
            z.writestr("%sp%d/f%d.go" % (prefix, n // 20, n), "".join(body))
            left -= got
            n += 1
    with open(os.path.join(d, "list"), "a") as f:
        f.write(version + "\n")


def write_graph(tree, prefix):
    rng = random.Random(SEED)
    size = sizes(rng)
    versions, reqs, gover = graph(rng)
    pool = lines(rng)
    for i in range(MODULES):
        path = "%s/m%03d" % (prefix, i)
        requires = [("%s/m%03d" % (prefix, j), v) for j, v in reqs[i]]
        for k, v in enumerate(versions[i]):
            # An older version is smaller and requires the same modules.
            write_version(tree, rng, pool, path, v, size[i] if k == 0 else size[i] // 2, requires, gover[i])


def main_gomod(prefix):
    rng = random.Random(SEED)
    sizes(rng)
    versions, _, _ = graph(rng)
    # A go 1.17+ main module lists every module of its build list.
    return gomod("bench.example/app", [("%s/m%03d" % (prefix, i), versions[i][0]) for i in range(MODULES)])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--main":
        sys.stdout.write(main_gomod(sys.argv[2]))
    elif len(sys.argv) >= 3:
        for p in sys.argv[2:]:
            write_graph(sys.argv[1], p)
    else:
        sys.exit(__doc__)
