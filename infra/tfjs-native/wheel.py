"""Read TensorFlow / NVIDIA wheels (zip files) without installing them.

  wheel.py tf <wheel> <out>        libtensorflow_cc.so.2 + libtensorflow_framework.so.2 -> <out>/lib,
                                   tensorflow/include/** -> <out>/include
  wheel.py cuda-reqs <wheel>       the pinned requirements of the wheel's "and-cuda" extra, one per line
  wheel.py nvidia <wheel> <out>    nvidia/<component>/lib/*.so* -> <out>/nvidia/<component>/lib (site-packages layout)
"""
import re
import sys
import zipfile

TF_LIBS = ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2")


def fail(msg):
    sys.stderr.write(f"wheel.py: {msg}\n")
    sys.exit(1)


def extract(zf, name, dest):
    # stream member to dest (large .so files: no full read into memory)
    import os
    import shutil
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with zf.open(name) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)


def tf(wheel, out):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for lib in TF_LIBS:
            if lib not in names:
                fail(f"{wheel}: {lib} not in the wheel (layout changed?)")
            extract(zf, lib, f"{out}/lib/{lib.split('/')[-1]}")
        headers = [n for n in names if n.startswith("tensorflow/include/") and not n.endswith("/")]
        if not any(n.endswith("tensorflow/c/eager/c_api.h") for n in headers):
            fail(f"{wheel}: tensorflow/include/tensorflow/c/eager/c_api.h missing")
        for n in headers:
            extract(zf, n, f"{out}/include/{n[len('tensorflow/include/'):]}")


def cuda_reqs(wheel):
    with zipfile.ZipFile(wheel) as zf:
        meta = next((n for n in zf.namelist() if n.endswith(".dist-info/METADATA")), None)
        if meta is None:
            fail(f"{wheel}: no METADATA")
        text = zf.read(meta).decode()
    for line in text.splitlines():
        m = re.match(r"Requires-Dist: ([A-Za-z0-9_.-]+)\s*\(?\s*==\s*([^);\s]+)\)?\s*;\s*extra\s*==\s*[\"']and-cuda[\"']", line)
        if m:
            print(f"{m.group(1)}=={m.group(2)}")


def nvidia(wheel, out):
    with zipfile.ZipFile(wheel) as zf:
        for n in zf.namelist():
            if re.match(r"nvidia/[^/]+/lib/[^/]+\.so(\.[0-9]+)*$", n):
                extract(zf, n, f"{out}/{n}")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or [""]
    if cmd == "tf" and len(args) == 2:
        tf(*args)
    elif cmd == "cuda-reqs" and len(args) == 1:
        cuda_reqs(*args)
    elif cmd == "nvidia" and len(args) == 2:
        nvidia(*args)
    else:
        fail(__doc__)
