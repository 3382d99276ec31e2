import cv2
import numpy as np
import pytest

from lmsdk.data import DataConfig, ImageFolder, MtflList, SyntheticFaces, detect_format, open_source
from lmsdk.data.transforms import Box, crop_resize, keypoints_to_crop
from lmsdk.errors import DataError


def test_synthetic_faces_are_deterministic_and_annotated():
    a, b = SyntheticFaces(32, 10, seed=4), SyntheticFaces(32, 10, seed=4)
    assert np.array_equal(a.image(3), b.image(3))
    assert not np.array_equal(a.image(3), SyntheticFaces(32, 10, seed=5).image(3))
    kp = a.keypoints(3)
    assert kp.shape == (5, 2) and kp.dtype == np.float32
    assert (kp > 0.1).all() and (kp < 0.9).all()
    assert kp[0, 0] < kp[1, 0]  # left eye is image-left
    assert a.image(0).shape == (32, 32, 3) and a.image(0).dtype == np.uint8


def test_synthetic_keypoints_sit_on_the_drawn_parts():
    ds = SyntheticFaces(128, 5, seed=0)
    for i in range(5):
        image = ds.image(i).astype(np.float32)
        x, y = np.round(ds.keypoints(i)[0] * 128 - 0.5).astype(int)
        # The eye centre is the white sclera or the dark pupil: far from the skin colour around it.
        skin = np.array(ds.params(i).skin, np.float32)
        assert np.abs(image[y, x] - skin).sum() > 60


def test_crop_resize_maps_keypoints_consistently():
    image = np.zeros((60, 80, 3), np.uint8)
    cv2.circle(image, (50, 20), 2, (255, 255, 255), -1)  # a dot at OpenCV pixel (50, 20)
    box = Box(30.0, 5.0, 40.0, 40.0)
    crop = crop_resize(image, box, 80)
    ((x, y),) = keypoints_to_crop(np.array([[50.0, 20.0]]), box)
    ys, xs = np.nonzero(crop[..., 0] > 128)
    assert abs(xs.mean() - (x * 80 - 0.5)) < 0.6 and abs(ys.mean() - (y * 80 - 0.5)) < 0.6


def test_image_folder_reads_recursively_and_names_bad_files(tmp_path):
    (tmp_path / "a").mkdir()
    for i in range(3):
        cv2.imwrite(str(tmp_path / "a" / f"{i}.png"), np.full((40, 60, 3), i * 50, np.uint8))
    folder = ImageFolder(tmp_path, 16)
    assert len(folder) == 3 and folder.image(2).shape == (16, 16, 3)
    (tmp_path / "a" / "broken.jpg").write_bytes(b"not an image")
    folder = ImageFolder(tmp_path, 16)
    with pytest.raises(DataError, match=r"broken\.jpg"):
        folder.images(range(len(folder)))
    with pytest.raises(DataError, match="no images"):
        ImageFolder(tmp_path / "a" / "missing", 16) if False else ImageFolder(_empty(tmp_path), 16)


def _empty(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    return d


def _mtfl_fixture(tmp_path, lines):
    (tmp_path / "lfw_5590").mkdir(exist_ok=True)
    cv2.imwrite(str(tmp_path / "lfw_5590" / "a.jpg"), np.zeros((80, 80, 3), np.uint8))
    path = tmp_path / "train.txt"
    path.write_text("# header\n" + "\n".join(lines) + "\n")
    return path


def test_mtfl_list_parses_points_and_frames_them(tmp_path):
    path = _mtfl_fixture(tmp_path, ["lfw_5590/a.jpg 30 50 40 32 48 35 35 45 55 55 1 2 2 3"])
    ds = MtflList(path, 64)
    assert detect_format(path) == "mtfl"
    kp = ds.keypoints(0)
    assert kp.shape == (5, 2)
    assert kp[0, 0] < kp[1, 0] and np.allclose(kp[0, 1], kp[1, 1])
    assert ds.image(0).shape == (64, 64, 3)
    assert ds.attributes().tolist() == [[1, 2, 2, 3]]


def test_mtfl_list_errors_name_file_and_line(tmp_path):
    path = _mtfl_fixture(
        tmp_path, ["lfw_5590/a.jpg 30 50 40 32 48 35 35 45 55 55", "lfw_5590/a.jpg 1 2 x 4 5 6 7 8 9 10"]
    )
    with pytest.raises(DataError, match=r"train.txt:3"):
        MtflList(path, 64)
    path = _mtfl_fixture(tmp_path, ["lfw_5590/missing.jpg 30 50 40 32 48 35 35 45 55 55"])
    with pytest.raises(DataError, match=r"missing\.jpg"):
        MtflList(path, 64)


def test_open_source_detects_formats_and_refuses_unknown(tmp_path):
    source = open_source(DataConfig(source="synthetic", synthetic_count=7), 32)
    assert len(source) == 7 and source.image(0).shape == (32, 32, 3)
    with pytest.raises(DataError, match="no such file"):
        open_source(DataConfig(source=str(tmp_path / "nope")), 32)
    weird = tmp_path / "notes.csv"
    weird.write_text("a,b\n")
    with pytest.raises(DataError, match="--format"):
        open_source(DataConfig(source=str(weird)), 32)


def test_a_split_is_refused_where_the_format_has_none(tmp_path):
    """'#test' on a folder would otherwise be dropped silently and the whole source used."""
    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.zeros((20, 20, 3), np.uint8))
    for spec, name in [(f"{folder}#test", "folder"), ("synthetic#val", "synthetic")]:
        with pytest.raises(DataError, match=rf"a {name} source has no splits \(drop '#\w+'; splits exist for celeba"):
            open_source(DataConfig(source=spec), 16)
    assert len(open_source(DataConfig(source=str(folder)), 16)) == 1


def test_mtfl_fit_and_test_are_the_held_out_split_of_lmsdk_eval(tmp_path):
    """A model trained on '#fit' never sees a face of '#test': the two parts are lmsdk eval's seed-0 split of the
    whole list, whatever folder filter comes with them."""
    from lmsdk.data.splits import fit_test_partition

    (tmp_path / "net_7876").mkdir()
    cv2.imwrite(str(tmp_path / "net_7876" / "b.jpg"), np.zeros((80, 80, 3), np.uint8))
    lines = [f"{'lfw_5590/a.jpg' if i % 3 else 'net_7876/b.jpg'} 30 50 40 32 48 35 35 45 55 55 {i}" for i in range(20)]
    path = _mtfl_fixture(tmp_path, lines)
    full = MtflList(path, 32)
    fit, test = MtflList(path, 32, "fit"), MtflList(path, 32, "test")
    fit_idx, test_idx = fit_test_partition(20)
    assert (len(fit), len(test)) == (16, 4)
    assert [r.attributes[0] for r in fit.records] == sorted(full.records[i].attributes[0] for i in fit_idx)
    assert {r.attributes[0] for r in test.records} == {full.records[i].attributes[0] for i in test_idx}
    lfw_test = MtflList(path, 32, "lfw_5590-test")
    assert {r.attributes[0] for r in lfw_test.records} == {
        full.records[i].attributes[0] for i in test_idx if full.records[i].path.parent.name == "lfw_5590"
    }
    assert len(MtflList(path, 32, "net_7876")) == 7 and open_source(DataConfig(source=f"{path}#test"), 32)
    with pytest.raises(DataError, match=r"unknown split 'val'; use fit, test, a folder \(lfw_5590, net_7876\)"):
        MtflList(path, 32, "val")
