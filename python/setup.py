# The core (omnimodel.wasm) is built by the repository's `npm run build` into ../build/ and copied
# into the package here, at build time, so the wheel carries it while the repository does not.
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def wasm_path():
    p = os.environ.get("OMNIMODEL_WASM") or os.path.join(HERE, "..", "build", "omnimodel.wasm")
    if not os.path.isfile(p):
        raise SystemExit(f"omnimodel.wasm not found at {p}: run `npm run build` in the repository first (or set OMNIMODEL_WASM)")
    return p


class BuildPyWithWasm(build_py):
    def run(self):
        super().run()
        dest = os.path.join(self.build_lib, "omnimodel", "omnimodel.wasm")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(wasm_path(), dest)


setup(cmdclass={"build_py": BuildPyWithWasm})
