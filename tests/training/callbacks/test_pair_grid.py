import numpy as np
import pytest

from facecompare.training.callbacks.pair_grid import draw_pair_grid

H, W = 40, 10  # tall enough for the two caption lines


def tiles(n: int, value: int, channels: int = 3) -> np.ndarray:
    return np.full((n, H, W, channels), value, dtype=np.uint8)


def caption_colours(grid: np.ndarray, row: int) -> set[str]:
    """The hues of a row's caption text (anti-aliased, so read by the dominant channel, not exact values)."""
    px = grid[row * H : (row + 1) * H, 2 * W :].reshape(-1, 3).astype(int)
    r, g, b = px.T
    found = set()
    if ((g > r + 60) & (g > b + 60)).any():
        found.add("green")
    if ((r > g + 60) & (r > b + 60)).any():
        found.add("red")
    if ((abs(r - g) < 10) & (abs(g - b) < 10) & (r > 120)).any():
        found.add("grey")
    return found


def test_rows_hold_both_images_side_by_side() -> None:
    grid = draw_pair_grid(tiles(2, 10), tiles(2, 30), np.array([1, 0]), np.array([0.9, 0.1]), None)
    assert grid.shape == (2 * H, 2 * W + 96, 3) and grid.dtype == np.uint8
    assert (grid[:, :W] == 10).all() and (grid[:, W : 2 * W] == 30).all()


def test_caption_colour_says_whether_the_threshold_gets_the_pair_right() -> None:
    # row 0: same, 0.9 >= 0.5 (right); row 1: different, 0.7 >= 0.5 (wrong); row 2: different, 0.2 (right)
    grid = draw_pair_grid(tiles(3, 0), tiles(3, 0), np.array([1, 0, 0]), np.array([0.9, 0.7, 0.2]), 0.5)
    assert [caption_colours(grid, row) for row in range(3)] == [{"green"}, {"red"}, {"green"}]


def test_without_a_threshold_captions_are_neutral_and_grayscale_tiles_become_rgb() -> None:
    grid = draw_pair_grid(tiles(1, 50, channels=1), tiles(1, 60, channels=1), np.array([1]), np.array([0.4]), None)
    assert (grid[:, :W] == 50).all() and (grid[:, W : 2 * W] == 60).all()
    assert caption_colours(grid, 0) == {"grey"}


@pytest.mark.slow
def test_a_training_run_colours_the_grid_at_that_epochs_threshold(make_cfg, monkeypatch):
    from facecompare.checkpoint import read_checkpoint
    from facecompare.training.callbacks import pair_grid
    from facecompare.training.train import train

    thresholds = []
    original = pair_grid.draw_pair_grid

    def spy(a, b, same, scores, threshold):
        thresholds.append(threshold)
        return original(a, b, same, scores, threshold)

    monkeypatch.setattr(pair_grid, "draw_pair_grid", spy)
    cfg = make_cfg("logger=tensorboard", "test=false")
    train(cfg)
    # one epoch: the grid was drawn once, with the threshold that epoch's validation picked (it once got the
    # previous epoch's, here None, because Lightning runs the callbacks' epoch-end hooks before the module's)
    saved = read_checkpoint(f"{cfg.paths.output_dir}/checkpoints/last.ckpt")["facecompare"]["threshold"]
    assert thresholds == [saved] and saved is not None
