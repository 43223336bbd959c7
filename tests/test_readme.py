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
