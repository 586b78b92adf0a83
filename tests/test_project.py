"""The project's set-up files agree with each other."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

from course.notebooks import KERNEL_NAME

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name


def pyproject_requirements() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {Requirement(d).name.lower(): str(Requirement(d).specifier) for d in deps}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = re.match(r"([A-Za-z0-9_.-]+)(.*)", dep).groups()
            conda[name.lower()] = spec
    wanted = {CONDA_NAMES.get(k, k): v for k, v in pyproject_requirements().items()}
    assert {k: v for k, v in conda.items() if k not in ("python", "pip")} == wanted
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == ["-e ."]


def test_constraints_pin_every_dependency_within_its_range():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    for name, spec in pyproject_requirements().items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert Requirement(f"{name}{spec}").specifier.contains(pins[name]), (name, pins[name])


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version

    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    for name in ("torch", "jupytext", "nbval", "papermill", "plotly"):
        assert version(name) == pins[name]


def test_the_named_kernel_runs_this_environment():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert Path(spec.argv[0]).absolute() == Path(sys.executable).absolute()


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_jupytext_config_pairs_py_percent_with_ipynb():
    config = tomllib.loads((ROOT / "jupytext.toml").read_text())
    assert config["formats"] == "ipynb,py:percent"



def test_a_kernel_that_imports_the_course_shows_figures_without_building_the_iri_parsers():
    """``import course`` keeps jsonschema's IRI checker (1.2 s of Earley parsers) out of a
    kernel; nbformat still validates notebooks and plotly still shows figures."""
    import subprocess

    script = ("import sys; import course, nbformat, plotly.graph_objects as go; "
              "from course import widgets; import jsonschema; "
              "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])); "
              "go.Figure(go.Bar(y=[1]))._repr_mimebundle_(); "
              "print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is not None)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
