"""The notebooks as a learner and CI meet them.

- nbval re-runs the committed notebooks at their default parameters (see the Makefile),
  which is where each lesson's claims are asserted; its kernels keep their checkpoints
  and results in build/test-run (course.notebooks.nbval_run_dir);
- after it, each lesson's record from that run holds the figures listed here;
- a bad parameter stops a lesson at its parameters cell with one clear line;
- every .py / .ipynb pair is in sync (converted and diffed, not judged by timestamps);
- committed notebooks carry no widget state and no papermill metadata.

Whole lessons at smoke parameters (SMOKE=True) are not run here: the run at the defaults
records the same figures and asserts the claims too; scripts/time_notebooks.py runs the
lessons in smoke mode against their time budgets, and tests/test_parameter_fuzz.py checks
their parameters cells with SMOKE=True.
"""

from __future__ import annotations

import json
import shutil

import nbformat
import papermill
import pytest

from course.notebooks import WIDGET_VIEW, lesson_sources, nbval_run_dir, pair_diff, strip

RECORDED = {
    "00_start_here": ["device", "torch_version", "datasets_ready", "cache_second_from_cache"],
    "01_autoencoder_basics": [
        "ae_mse_k2", "ae_mse_k8", "ae_mse_k32", "pca_mse_k2", "pca_mse_k8", "pca_mse_k32",
        "probe_acc_pixels", "probe_acc_pca", "probe_acc_ae"],
    "02_denoising": [
        "psnr_noisy_gauss05", "psnr_pca_gauss05", "psnr_ae_gauss05", "psnr_dae_gauss05",
        "psnr_noisy_mask50", "psnr_pca_mask50", "psnr_ae_mask50", "psnr_dae_mask50"],
    "03_bert_denoising": ["masked_acc_model", "masked_acc_unigram", "masked_acc_bigram",
                          "masked_xent_model", "n_train_tokens", "n_heldout_tokens"],
    "04_disentanglement": ["mig_ae", "mig_vae", "mig_beta_vae", "beta", "slider_update_ms"],
    "05_voice_conversion": [
        "n_speakers", "n_heldout_speakers", "target_beats_source_adain", "target_beats_source_plain",
        "target_beats_source_unconverted", "target_beats_source_adain_heldout", "target_top1_adain",
        "target_top1_plain", "content_kept_adain", "content_kept_plain", "speaker_clf_acc_real",
        "word_clf_acc_real", "pitch_semitones_to_target_adain", "train_seconds"],
    "06_discrete_latents": [
        "codebook_size", "vq_usage_baseline", "vq_perplexity_baseline", "vq_usage_remedied",
        "vq_perplexity_remedied", "vq_mse_baseline", "vq_mse_remedied", "cluster_acc_onehot",
        "cluster_acc_kmeans_pixels"],
    "07_text_as_code": [
        "recon_acc_plain", "recon_acc_gan", "recon_acc_no_summary", "recon_acc_lead", "rouge1_plain", "rouge1_gan",
        "rouge2_plain", "rouge2_gan", "rouge1_lead", "fluency_ppl_plain", "fluency_ppl_gan", "fact_acc_plain",
        "fact_acc_gan", "fact_acc_no_summary", "n_train_docs", "n_test_docs"],
    "08_vae": ["test_loss_vae", "test_kl_vae", "recognized_vae", "recognized_ae",
               "label_entropy_vae", "latent_dim"],
    "09_compression": [
        "rd_ae", "rd_pca", "rd_jpeg", "rd_jpeg_noheader", "psnr_ae_at_rate", "psnr_jpeg_at_rate",
        "psnr_pca_at_rate", "matched_bpp", "bytes_roundtrip_exact", "jpeg_header_bytes", "ssim_ae_at_rate",
        "ssim_pca_at_rate"],
    "10_anomaly_detection": [
        "auroc_ae", "auroc_pca", "auroc_mean_ae", "auroc_mean_pca", "auroc_classifier_confidence",
        "auroc_polluted", "pollution_rate", "test_cost_cost_optimal", "test_cost_accuracy_optimal",
        "test_cost_f1_optimal"],
}
LESSONS = lesson_sources()


def test_every_lesson_is_listed_here():
    assert [p.stem for p in LESSONS] == sorted(RECORDED)


def run(py, tmp_path, **parameters):
    import jupytext

    source = tmp_path / f"{py.stem}.ipynb"
    nbformat.write(jupytext.read(py), source)
    return papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"),
                                      parameters=parameters, cwd=str(py.parent),
                                      kernel_name="python3", progress_bar=False)


@pytest.mark.notebook
@pytest.mark.after_nbval
@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_default_run_recorded_its_figures(py):
    """What nbval's run of the committed notebook at its defaults recorded (make test runs it first)."""
    path = nbval_run_dir() / "results" / f"{py.stem}.json"
    assert path.is_file(), (f"{path} is missing: nbval did not run {py.stem}.ipynb in this session, "
                            "or it stopped early (make test runs nbval first)")
    record = json.loads(path.read_text())
    assert record["smoke"] is False, "the run at the defaults recorded smoke=True"
    missing = set(RECORDED[py.stem]) - set(record["figures"])
    assert not missing, f"{py.stem} did not record {sorted(missing)}"


@pytest.mark.notebook
def test_a_bad_parameter_stops_the_notebook_with_one_clear_line(tmp_path):
    py = next(p for p in LESSONS if p.stem == "00_start_here")
    with pytest.raises(papermill.PapermillExecutionError) as info:
        run(py, tmp_path, CACHE_DEMO_EPOCHS=-1)
    assert info.value.ename == "ParameterError"
    assert info.value.evalue == "CACHE_DEMO_EPOCHS = -1, but it must be a whole number >= 1"
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    (error,) = [o for c in executed.cells if c.cell_type == "code"
                for o in c.get("outputs", []) if o.output_type == "error"]
    assert error.traceback == [f"ParameterError: {info.value.evalue}"]


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_pair_is_in_sync(py):
    diff = pair_diff(py)
    assert not diff, f"{py.name} and its .ipynb differ; run `make notebooks`:\n{diff}"


@pytest.mark.parametrize("py", LESSONS, ids=lambda p: p.stem)
def test_committed_notebook_is_clean_and_executed(py):
    nb = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
    assert "widgets" not in nb.metadata and "papermill" not in nb.metadata
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every code cell has been executed"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert not any(WIDGET_VIEW in o.get("data", {}) for c in code for o in c.outputs)
    assert not any("papermill" in c.metadata or "execution" in c.metadata for c in nb.cells)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "SMOKE = False" in params[0].source


def test_strip_drops_widget_state_but_keeps_the_text():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"state": "megabytes"}
    nb.metadata["papermill"] = {}
    cell = nbformat.v4.new_code_cell("w")
    cell.metadata["papermill"] = {}
    cell.outputs = [nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "x"},
                                                                 "text/plain": "bar 100%"}),
                    nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "y"}})]
    nb.cells = [cell]
    strip(nb)
    assert "widgets" not in nb.metadata and "papermill" not in nb.metadata
    assert cell.metadata == {}
    assert [o.data for o in cell.outputs] == [{"text/plain": "bar 100%"}]


def test_a_pair_out_of_sync_is_found(tmp_path):
    """pair_diff reads the .ipynb under the jupytext.toml of its folder, and sees an edit."""
    lesson = LESSONS[0]
    shutil.copy(lesson.parents[1] / "jupytext.toml", tmp_path)
    py, ipynb = tmp_path / lesson.name, tmp_path / lesson.with_suffix(".ipynb").name
    shutil.copy(lesson, py)
    shutil.copy(lesson.with_suffix(".ipynb"), ipynb)
    assert pair_diff(py) == ""
    py.write_text(py.read_text().replace("# %%", "# %%\nx = 1  # an edit the .ipynb lacks\n# %%", 1))
    assert "+x = 1" not in pair_diff(py) and "-x = 1  # an edit the .ipynb lacks" in pair_diff(py)


def test_the_longest_files_are_scheduled_first_and_what_reads_nbval_last():
    from course import notebooks
    from course.paths import project_root

    class Item:
        def __init__(self, path: str, after: bool = False) -> None:
            self.fspath, self.after = project_root() / path, after

        def get_closest_marker(self, name: str) -> object:
            return name == notebooks.AFTER_NBVAL and self.after or None

    class Config:
        def getoption(self, name: str, default: object = None) -> object:
            return name == "nbval_lax"

    items = [Item("tests/test_data.py"), Item("tests/test_browser.py", after=True),
             Item("notebooks/00_start_here.ipynb"), Item("notebooks/99_not_timed_yet.ipynb"),
             Item("tests/test_slides.py"), Item("notebooks/07_text_as_code.ipynb"),
             Item("tests/test_data.py")]
    notebooks.pytest_collection_modifyitems(Config(), items)
    order = [item.fspath.relative_to(project_root()).as_posix() for item in items]
    assert order == ["notebooks/99_not_timed_yet.ipynb", "notebooks/07_text_as_code.ipynb",
                     "tests/test_slides.py", "notebooks/00_start_here.ipynb",
                     "tests/test_data.py", "tests/test_data.py", "tests/test_browser.py"]
    assert all(f"notebooks/{py.stem}.ipynb" in notebooks.FILE_SECONDS for py in lesson_sources())
