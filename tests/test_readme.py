"""The README's authoring example is real code: it runs under mocks and passes the policy pack."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from secure_scoring.mocking import run_with_mocks

ROOT = Path(__file__).resolve().parents[1]


def _author_example() -> str:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    example = next(b for b in blocks if "SecureAciService(" in b)
    return example


def test_readme_example_runs_and_passes_the_pack(cert_factory, tmp_path, monkeypatch):
    root = cert_factory.ca("README Root CA")
    inter = cert_factory.intermediate(root, "README Intermediate CA")
    leaf = cert_factory.leaf(inter, ["scoring.contoso.com"])
    (tmp_path / "certs").mkdir()
    leaf.write_chain(tmp_path / "certs/fullchain.pem")
    shutil.copy(leaf.key_path, tmp_path / "certs/key.pem")
    monkeypatch.chdir(tmp_path)

    code = compile(_author_example(), "README.md", "exec")

    def program() -> None:
        exec(code, {"__name__": "__main__"})  # noqa: S102 - runs our own README example

    rec = run_with_mocks(program, project="readme", stack="production")

    assert sorted(set(rec.types())) == [
        "azure-native:containerinstance:ContainerGroup",
        "azure-native:dns:RecordSet",
        "random:index/randomPassword:RandomPassword",
        "secure-scoring:index:CertificateBundle",
        "secure-scoring:index:DnsRecordBinding",
        "secure-scoring:index:SecureAciService",
    ]
    from secure_scoring.policy_pack import evaluate

    diagnostics = evaluate(rec.resources, stack="production", project="readme")
    assert [d for d in diagnostics if d.enforcement == "mandatory"] == []


def _shell_lines(text: str) -> list[str]:
    """The command lines of the README's ``sh`` blocks, in order, without comments."""
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        lines += [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    return lines


def test_readme_puts_the_cli_on_path_before_calling_it():
    """A reader who runs the README's commands in order has `secure-scoring` on PATH when it is called
    by name (make installs it into .venv only), and is told that make does not install `pulumi`."""
    text = (ROOT / "README.md").read_text()
    lines = _shell_lines(text)
    first_cli = next(i for i, line in enumerate(lines) if re.match(r"(\w+=\S*\s+)*secure-scoring\b", line))
    activate = [i for i, line in enumerate(lines) if line == "source .venv/bin/activate"]
    assert activate and activate[0] < first_cli, lines[: first_cli + 1]
    make_venv = [i for i, line in enumerate(lines) if line == "make venv"]
    assert make_venv and make_venv[0] < activate[0]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(BIN\)/secure-scoring:", makefile, flags=re.M), "make venv builds .venv/bin"
    if any(line.startswith("pulumi ") for line in lines):
        assert "get.pulumi.com" not in makefile and not re.search(r"install.*\bpulumi\b(?!-)", makefile)
        assert "Pulumi CLI, which `make` does not install" in text


def test_readme_names_the_debian_packages_make_installs():
    text = " ".join((ROOT / "README.md").read_text().split())
    makefile = (ROOT / "Makefile").read_text()
    packages = re.search(r"^DEB_PACKAGES := (.*)$", makefile, flags=re.M).group(1).split()
    checked = re.search(r"for b in ([\w ]+); do", makefile).group(1).split()
    said = re.search(r"the Debian packages `([^`]+)` when one of ((?:`[\w-]+`,? (?:or )?)+)is missing", text)
    assert said, "README: 'the Debian packages `...` when one of `...` is missing'"
    assert said.group(1).split() == packages
    assert re.findall(r"`([\w-]+)`", said.group(2)) == checked
