"""Fetch the console's third-party front-end code from the npm registry.

    python -m api.console.vendor

downloads each pinned package tarball from registry.npmjs.org, checks it against the
pinned Subresource-Integrity hash (the registry's `dist.integrity`), and writes the
files the console uses, with the package's licence, to static/vendor/<package>/. The
output is committed: installing or running the product needs neither Node.js nor the
network. To upgrade, change `version` and `integrity` (from
`https://registry.npmjs.org/<package>/<version>`, field `dist.integrity`) and run it.
`MANIFEST.json` records what was written and each file's SHA-256 (tests compare them).
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # sha512-<base64>, as the registry publishes it
    files: tuple[str, ...]  # paths inside the tarball's package/ folder

    @property
    def tarball_url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name}-{self.version}.tgz"


PACKAGES = (
    Package(
        name="bpmn-js",
        version="18.31.1",
        integrity="sha512-Hc7LzrgwfcBRUAdI/380Q2v1MJ115atGEVGadawLfDbHdo+r+IkmNj8fuYPFmWglUYt1KYIaC46OeX16HGTKQw==",
        files=(
            "LICENSE",
            "dist/bpmn-navigated-viewer.production.min.js",
            "dist/bpmn-modeler.production.min.js",
            "dist/assets/diagram-js.css",
            "dist/assets/bpmn-js.css",
            "dist/assets/bpmn-font/css/bpmn.css",
            "dist/assets/bpmn-font/font/bpmn.woff2",
            "dist/assets/bpmn-font/font/bpmn.woff",
        ),
    ),
)


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise ValueError(f"integrity mismatch: expected {integrity}, got sha512-{actual}")


def fetch(package: Package) -> dict[str, str]:
    """Download, check and unpack `package`; returns {file: sha256} of what it wrote."""
    with urllib.request.urlopen(package.tarball_url, timeout=60) as response:
        data = response.read()
    check_integrity(data, package.integrity)
    target = VENDOR_DIR / package.name
    written = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for name in package.files:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise ValueError(f"{package.name}: {name} is not a file in the tarball")
            content = member.read()
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written[name] = hashlib.sha256(content).hexdigest()
    return written


def main() -> int:
    manifest = {}
    for package in PACKAGES:
        manifest[package.name] = {"version": package.version, "integrity": package.integrity,
                                  "tarball": package.tarball_url, "files": fetch(package)}
        print(f"{package.name}@{package.version}: {len(package.files)} files")
    (VENDOR_DIR / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
