"""winnow.automl: scikit-learn-style estimators over the native AutoML engine."""

import subprocess

import numpy as np
import pandas as pd
import pytest

from winnow import automl


def _binary(rows, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows)
    y = np.where(2 * x1 - x2 + (colour == "red") > 0.5, "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "colour": colour}), pd.Series(y)


def test_classifier_learns_and_maps_labels_back():
    X, y = _binary(300, 0)
    X_test, y_test = _binary(150, 1)
    model = automl.Classifier(time_limit=None, n_trials=4, seed=1, n_jobs=2).fit(X, y)
    assert sorted(model.classes_) == ["no", "yes"]
    assert model.score(X_test, y_test) > 0.85
    proba = model.predict_proba(X_test)
    assert proba.shape == (150, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    predicted = model.predict(X_test)
    assert set(predicted) <= {"no", "yes"}
    # The column of the larger probability is the predicted class.
    assert (model.classes_[proba.argmax(axis=1)] == predicted).all()


def test_integer_labels_come_back_as_integers():
    X, y = _binary(200, 2)
    y = (y == "yes").astype(int) * 3 + 1  # classes 1 and 4
    model = automl.Classifier(time_limit=None, n_trials=2, models=["linear"]).fit(X, y)
    assert set(model.predict(X)) <= {1, 4}
    assert all(isinstance(c, (int, np.integer)) for c in model.classes_)


def test_float_labels_come_back_as_floats():
    X, y = _binary(150, 5)
    y = (y == "yes").astype(float)  # classes 0.0 and 1.0, written by pandas as "0.0", "1.0"
    model = automl.Classifier(n_trials=2, models=["linear"]).fit(X, y)
    assert set(model.predict(X)) <= {0.0, 1.0}
    assert model.score(X, y) > 0.8


def test_regressor_on_numpy_and_model_file_for_the_cli(tmp_path, winnow_binary):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    y = 3 * X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=300)
    model = automl.Regressor(time_limit=None, n_trials=3, models=["linear", "xgboost"]).fit(X, y)
    assert model.score(X, y) > 0.95
    path = tmp_path / "r.winnow"
    model.save(path)
    pd.DataFrame(X, columns=["x0", "x1", "x2"]).to_csv(tmp_path / "new.csv", index=False)
    out = subprocess.run([winnow_binary, "automl", "predict", str(path), str(tmp_path / "new.csv")],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == 301
    np.testing.assert_allclose([float(v) for v in out[1:]], model.predict(X), rtol=1e-5, atol=1e-5)
    assert "Leaderboard" in automl.load(path).report()


def test_labels_a_csv_file_would_lose_are_refused():
    # "NA" once crossed the CSV file as a missing cell, its rows silently dropped; " a" merged
    # with "a".
    X, _ = _binary(60, 5)
    for labels, shown in [(["NA", "EU"], "'NA'"), (["a", " a"], "' a'")]:
        with pytest.raises(ValueError, match=shown):
            automl.Classifier(n_trials=1).fit(X, labels * 30)


def test_single_class_is_refused():
    X, _ = _binary(50, 4)
    with pytest.raises(ValueError, match="single class"):
        automl.Classifier(n_trials=1).fit(X, ["a"] * 50)


def test_infer_limit_chooses_from_the_front():
    X, y = _binary(300, 7)
    model = automl.Classifier(n_trials=6, seed=2, models=["linear", "random_forest", "knn"],
                              n_jobs=2).fit(X, y)
    front = model.front()
    assert len(front) >= 2
    assert sum(entry["chosen"] for entry in front) == 1
    fastest = min(front, key=lambda entry: entry["seconds_per_row_batch1"])
    before = model.predict_proba(X)
    assert model.set_infer_limit(fastest["seconds_per_row_batch1"] * 1.0001)
    chosen = [entry for entry in model.front() if entry["chosen"]][0]
    assert chosen["seconds_per_row_batch1"] <= fastest["seconds_per_row_batch1"] * 1.0001
    assert not np.allclose(model.predict_proba(X), before)
    assert not model.set_infer_limit(1e-12)  # nothing that fast: the fastest, and False
    with pytest.raises(Exception, match="1 or 1000"):
        model.set_infer_limit(1e-3, batch=7)
    limited = automl.Classifier(n_trials=2, models=["linear"], infer_limit=1.0).fit(X, y)
    assert limited.get_params()["infer_limit"] == 1.0
