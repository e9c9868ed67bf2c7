import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from gan_helpers import point, viz  # noqa: E402


def test_plot_function_draws_the_function_of_a_module():
    lin = torch.nn.Linear(1, 1)
    with torch.no_grad():
        lin.weight.fill_(2.0)
        lin.bias.fill_(-1.0)
    ax = viz.plot_function(lambda x: lin(x.unsqueeze(-1)).squeeze(-1), -1, 1, num=11)
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, np.linspace(-1, 1, 11), atol=1e-6)
    np.testing.assert_allclose(y, 2 * x - 1, atol=1e-6)
    plt.close("all")


def test_plot_function_accepts_a_module_and_rejects_an_empty_range():
    G, _ = point.make_models(torch.Generator().manual_seed(0))
    ax = viz.plot_function(G, -1, 1, num=5)
    x, y = ax.lines[0].get_data()
    w, b = G.linear.weight.item(), G.linear.bias.item()
    np.testing.assert_allclose(y, w * x + b, atol=1e-6)
    with pytest.raises(ValueError, match="lo < hi"):
        viz.plot_function(G, 1, 1)
    plt.close("all")


def test_point_gan_plot_places_g_and_d():
    plot = viz.PointGanPlot()
    artists = plot.update(0.0, 1.0, np.full(plot.grid.shape, 0.5), title="t")
    g_x, g_y = plot.g_line.get_data()
    assert np.allclose(g_x, 1.0) and list(g_y) == [-1.0, 1.0]  # the solution is a vertical line at 1
    assert np.allclose(plot.d_line.get_data()[1], 0.5)
    assert plot.title.get_text() == "t" and len(artists) == 3
    with pytest.raises(ValueError, match="one value per grid point"):
        plot.update(0.0, 1.0, np.zeros(3))
    plt.close("all")


def test_animation_plays_in_html_and_saves_a_gif(tmp_path):
    plot = viz.PointGanPlot()
    frames = [(w, 1.0, np.full(plot.grid.shape, p)) for w, p in [(1.0, 0.2), (0.5, 0.4), (0.0, 0.5)]]
    anim = viz.animate(plot.fig, lambda i: plot.update(*frames[i]), len(frames))
    gif = viz.save_gif(anim, tmp_path / "a.gif", fps=5)
    assert gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    html = viz.show_animation(anim).data
    assert len(re.findall(r'frames\[\d+\] = "data:image/png;base64', html)) == len(frames)
    assert 'class="anim-slider"' in html and ".play_animation()" in html
    assert "alt=" not in html.split('id="_anim_img')[0][-80:]
    with pytest.raises(ValueError, match=".gif"):
        viz.save_gif(anim, tmp_path / "a.mp4")


def test_animation_frames_carry_the_alt_text():
    plot = viz.PointGanPlot()
    anim = viz.animate(plot.fig, lambda i: plot.update(1.0 - i, 1.0, np.zeros(plot.grid.shape)), 2)
    html = viz.show_animation(anim, alt='G\'s line "rises"').data
    assert re.search(r'<img alt="G&#x27;s line &quot;rises&quot;" id="_anim_img\w+"', html)


def test_plot_rates_draws_one_bar_per_row_with_intervals():
    import pandas as pd

    from gan_helpers import stats

    table = stats.success_table(pd.DataFrame({"m": ["a", "a", "b"], "success": [True, False, True]}), by="m")
    ax = viz.plot_rates(table)
    y = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert y["a"] > y["b"]  # first row on top
    assert [p.get_width() for p in ax.patches] == pytest.approx([0.5, 1.0])
    with pytest.raises(ValueError, match="rate"):
        viz.plot_rates(pd.DataFrame({"x": [1]}))
    plt.close("all")


def test_image_grid_places_each_image_row_by_row():
    images = torch.arange(6, dtype=torch.float32).view(6, 1, 1, 1).expand(6, 1, 2, 3).clone()  # image i is all i
    grid = viz.image_grid(images, nrow=3, padding=1)
    assert grid.shape == (3 * 2 + 2, 3 * 3 + 2)
    assert grid[0, 0] == 0 and grid[0, 4] == 1 and grid[0, 8] == 2  # first row: images 0, 1, 2
    assert grid[3, 0] == 3 and grid[4, 9] == 5  # second row: 3, 4, 5
    assert grid[2, 0] == 0 and grid[0, 3] == 0  # padding takes the minimum
    assert torch.all(grid[6:, :] == 0)  # the missing third row is background
    colour = viz.image_grid(torch.rand(4, 3, 5, 5), nrow=2)
    assert colour.shape == (10, 10, 3)


def test_image_grid_bad_input_and_show_images():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        viz.image_grid(torch.zeros(4, 28, 28))
    with pytest.raises(ValueError, match="nrow"):
        viz.image_grid(torch.zeros(4, 1, 28, 28), nrow=0)
    ax = viz.show_images(torch.rand(9, 1, 28, 28) * 2 - 1, nrow=3, title="digits")
    assert ax.get_title() == "digits" and len(ax.images) == 1
    assert ax.images[0].get_array().shape == (3 * 28 + 2, 3 * 28 + 2)
    plt.close(ax.figure)
