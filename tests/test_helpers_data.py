"""Tests of the data helpers: registry, fetch errors, schools table, Gorard, logs, dictionary."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pooch
import pytest

from helpers import columns, dictionary, registry, tables, transforms

SMALL = "abs_meta.csv"  # the smallest registered file, copied into tmp_path for error cases


@pytest.fixture
def tmp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QM_DATA_DIR", str(tmp_path))
    return tmp_path


# --------------------------------------------------------------------------- registry / fetch


def test_registry_lists_pinned_files_once_each() -> None:
    entries = registry._registry()
    lines = [
        line.split("#", 1)[0].strip()
        for line in (Path(registry.__file__).with_name("registry.txt")).read_text().splitlines()
    ]
    assert len(entries) == len([line for line in lines if line])  # no name listed twice
    assert {"england_filtered.csv", "UK_census_population.csv", "factory_data.csv"} <= set(entries)
    for sha, url in entries.values():
        assert len(sha) == 64
        assert "/93dd850b9c5861f4d40886f976e3b0c5f38852cf/" in url


def test_data_dir_env_then_os_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QM_DATA_DIR", str(tmp_path))
    assert registry.data_dir() == tmp_path
    monkeypatch.delenv("QM_DATA_DIR")
    assert registry.data_dir() == Path(pooch.os_cache("qm-course"))


def test_fetch_returns_verified_cached_file_without_network(
    course_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("fetch must not download a cached file")

    monkeypatch.setattr(registry.pooch, "retrieve", no_download)
    path = registry.fetch("england_filtered.csv")
    assert path.name == "england_filtered.csv"
    assert path.parent == registry.data_dir()


def test_fetch_unknown_name_lists_known() -> None:
    with pytest.raises(ValueError, match=r"Unknown data file 'nope.csv'.*england_filtered\.csv"):
        registry.fetch("nope.csv")


def test_fetch_hash_mismatch_names_file_expected_actual(tmp_cache: Path) -> None:
    (tmp_cache / SMALL).write_text("not the real file\n")
    expected = registry._registry()[SMALL][0]
    actual = registry._sha256(tmp_cache / SMALL)
    with pytest.raises(ValueError, match=rf"{SMALL}.*expected sha256 {expected}, got {actual}"):
        registry.fetch(SMALL)


def test_fetch_missing_file_no_network_says_url_and_folder(
    tmp_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("Network is unreachable")

    monkeypatch.setattr(registry.pooch, "retrieve", offline)
    url = registry._registry()[SMALL][1]
    with pytest.raises(FileNotFoundError, match="Download it from") as info:
        registry.fetch(SMALL)
    message = str(info.value)
    assert url in message
    assert str(tmp_cache / SMALL) in message
    assert "QM_DATA_DIR" in message


def test_fetch_downloads_when_absent(
    course_data: Path, tmp_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = Path(registry._registry()[SMALL][1])  # never fetched: the fake copies the cached file
    shared = course_data / SMALL

    def fake_retrieve(url: str, known_hash: str, fname: str, path: Path, **kw: object) -> str:
        assert url.endswith(source.name)
        assert known_hash.startswith("sha256:")
        shutil.copy(shared, Path(path) / fname)
        return str(Path(path) / fname)

    monkeypatch.setattr(registry.pooch, "retrieve", fake_retrieve)
    assert registry.fetch(SMALL) == tmp_cache / SMALL


# --------------------------------------------------------------------------- require_columns


def test_require_columns_lists_missing_and_existing() -> None:
    df = pd.DataFrame({"a": [1], "b": [2]})
    columns.require_columns(df, ["a"], where="here")
    with pytest.raises(KeyError, match=r"here: missing column\(s\) \['c'\]. Existing.*'a', 'b'"):
        columns.require_columns(df, ["a", "c"], where="here")


# --------------------------------------------------------------------------- gorard


def test_gorard_hand_worked_example() -> None:
    # LA "A": schools (m, t) = (10, 100), (30, 100), (0, 50): M = 40, T = 250
    #   |10/40 - 100/250| = |0.25 - 0.4| = 0.15
    #   |30/40 - 100/250| = |0.75 - 0.4| = 0.35
    #   | 0/40 -  50/250| = |0    - 0.2| = 0.20      GS = 0.5 * 0.70 = 0.35
    # LA "B": identical shares (5/50, 10/100) -> GS = 0
    df = pd.DataFrame(
        {
            "la": ["A", "A", "A", "B", "B"],
            "m": [10, 30, 0, 5, 10],
            "t": [100, 100, 50, 50, 100],
        }
    )
    out = transforms.gorard_index(df, "la", "m", "t")
    assert out.name == "gorard_segregation"
    assert out.loc["A"] == pytest.approx(0.35)
    assert out.loc["B"] == pytest.approx(0.0)


def test_gorard_complete_separation_and_zero_minority() -> None:
    df = pd.DataFrame({"la": ["A", "A", "Z"], "m": [50, 0, 0], "t": [50, 50, 10]})
    out = transforms.gorard_index(df, "la", "m", "t")
    assert out.loc["A"] == pytest.approx(0.5)  # all minority pupils in one of two equal schools
    assert np.isnan(out.loc["Z"])


@pytest.mark.parametrize(
    ("m", "t", "match"),
    [([-1, 2], [5, 5], ">= 0"), ([6, 1], [5, 5], "> 't'")],
)
def test_gorard_bad_counts(m: list[int], t: list[int], match: str) -> None:
    df = pd.DataFrame({"la": ["A", "A"], "m": m, "t": t})
    with pytest.raises(ValueError, match=match):
        transforms.gorard_index(df, "la", "m", "t")


def test_gorard_missing_column() -> None:
    with pytest.raises(KeyError, match=r"missing column\(s\) \['t'\]"):
        transforms.gorard_index(pd.DataFrame({"la": ["A"], "m": [1]}), "la", "m", "t")


# --------------------------------------------------------------------------- log_columns


def test_log_columns_drops_and_reports(caplog: pytest.LogCaptureFixture) -> None:
    df = pd.DataFrame({"x": [1.0, 0.0, 10.0, np.nan], "y": [1.0, 2.0, -1.0, 3.0]})
    with caplog.at_level("INFO", logger="helpers"):
        out = transforms.log_columns(df, ["x", "y"])
    assert out.attrs["dropped"] == {"x": 1, "y": 1}
    assert list(out.index) == [0, 3]
    assert out["log_x"].iloc[0] == 0.0
    assert np.isnan(out["log_x"].iloc[1])
    assert "1 rows with x <= 0 dropped" in caplog.text
    assert len(df) == 4  # input untouched


def test_log_columns_bad_inputs() -> None:
    df = pd.DataFrame({"x": [1.0], "s": ["a"]})
    with pytest.raises(ValueError, match="unknown rule 'clip'"):
        transforms.log_columns(df, ["x"], rule="clip")
    with pytest.raises(ValueError, match="'s' is not numeric"):
        transforms.log_columns(df, ["s"])
    with pytest.raises(KeyError, match="missing column"):
        transforms.log_columns(df, ["z"])


# --------------------------------------------------------------------------- schools


@pytest.fixture(scope="module")
def schools(course_data: Path) -> pd.DataFrame:
    return tables.load_schools()


def test_load_schools_types(schools: pd.DataFrame) -> None:
    assert len(schools) == 3056
    assert schools["URN"].map(type).eq(str).all()
    rating = schools["OFSTEDRATING"].dtype
    assert rating.ordered
    assert list(rating.categories) == [
        "Special Measures",
        "Serious Weaknesses",
        "Requires improvement",
        "Good",
        "Outstanding",
    ]
    assert isinstance(schools["gor_name"].dtype, pd.CategoricalDtype)
    assert isinstance(schools["LANAME"].dtype, pd.CategoricalDtype)
    assert (
        schools["region_la"].iloc[0] == f"{schools['gor_name'].iloc[0]}:{schools['LANAME'].iloc[0]}"
    )
    assert schools["region_la"].nunique() == schools["LANAME"].nunique() == 151
    assert schools["gorard_segregation"].between(0, 1).all()  # every LA has an index
    # one value per LA, Cumbria's successors share it
    assert (schools.groupby("LANAME", observed=True)["gorard_segregation"].nunique() == 1).all()
    cumbria = schools[schools["LEA"].isin([942, 943])]["gorard_segregation"]
    assert cumbria.nunique() == 1


def test_load_schools_na_codes_and_percentages(course_data: Path) -> None:
    census = tables._read_csv("england_census.csv")
    assert census["PNUMFSMEVER"].dtype.kind == "f"  # "21.9%" -> 21.9
    assert census.loc[census["URN"] == "100000", "PNUMFSMEVER"].iloc[0] == pytest.approx(21.9)
    assert census["URN"].iloc[0] == "100000"  # the byte-order mark is not in the name


def test_gorard_camden_by_hand(schools: pd.DataFrame) -> None:
    census = tables._read_csv("england_census.csv")
    camden = census[(census["LA"] == 202) & (census["SCHOOLTYPE"] == "State-funded secondary")]
    m, t = camden["NUMFSMEVER"], camden["NORFSMEVER"]
    expected = 0.5 * (m / m.sum() - t / t.sum()).abs().sum()
    got = schools.loc[schools["LANAME"] == "Camden", "gorard_segregation"].iloc[0]
    assert got == pytest.approx(expected)


def test_unknown_rating_becomes_missing(caplog: pytest.LogCaptureFixture) -> None:
    values = pd.Series(["Good", "Inadequate", None], name="OFSTEDRATING")
    with caplog.at_level("WARNING", logger="helpers"):
        out = tables._ordered_rating(values, ["Good"])
    assert out.isna().tolist() == [False, True, True]
    assert "Inadequate" in caplog.text


def test_analysis_table_rows_and_attrs(schools: pd.DataFrame) -> None:
    table = tables.analysis_table(schools)
    assert table.attrs == {
        "rows_in": 3056,
        "dropped_missing": 146,
        "dropped_nonpositive": {"ATT8SCR": 0, "PTFSM6CLA1A": 2, "PERCTOT": 0, "PNUMEAL": 6},
        "rows_out": 2902,
    }
    assert len(table) == 2902
    assert table.index.equals(pd.RangeIndex(2902))
    rules = tables._rules()
    assert table[rules["required_columns"]].notna().all().all()
    for col in rules["log_columns"]:
        assert np.allclose(table[f"log_{col}"], np.log(table[col]))
    counts = table["OFSTEDRATING"].value_counts()
    assert (counts > 0).all()  # unused categories removed
    assert table["LANAME"].cat.categories.isin(table["LANAME"]).all()


def test_analysis_table_missing_column(schools: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match=r"analysis_table: missing column\(s\) \['PERCTOT'\]"):
        tables.analysis_table(schools.drop(columns="PERCTOT"))


# --------------------------------------------------------------------------- describe


def test_describe_sources(course_data: Path) -> None:
    assert "disadvantaged" in dictionary.describe("PTFSM6CLA1A")
    assert "(abs_meta.csv)" in dictionary.describe("PERCTOT")
    assert "census_meta.csv" in dictionary.describe("NUMFSMEVER")
    assert "Ofsted" in dictionary.describe("OFSTEDRATING")
    assert dictionary.describe("SCHNAME.x").startswith("SCHNAME.x: ")
    assert dictionary.describe("log_ATT8SCR").startswith("log_ATT8SCR: natural log of ")
    assert "Gorard" in dictionary.describe("gorard_segregation")


def test_describe_a_column_the_helpers_make_reads_no_file(monkeypatch) -> None:
    """gorard_segregation and region_la are described without the DfE's dictionaries."""
    asked = []

    def no_files(name: str):
        asked.append(name)
        raise FileNotFoundError(name)

    monkeypatch.setattr(dictionary, "fetch", no_files)
    dictionary._dictionary.cache_clear()
    try:
        assert "Gorard" in dictionary.describe("gorard_segregation")
        assert dictionary.describe("region_la").startswith("region_la: Local authority")
        assert asked == []
        with pytest.raises(FileNotFoundError):  # a DfE column needs the files
            dictionary.describe("PERCTOT")
        assert asked == ["census_meta.csv"]
    finally:
        dictionary._dictionary.cache_clear()


def test_describe_unknown_lists_close_matches(course_data: Path) -> None:
    with pytest.raises(KeyError, match=r"No dictionary entry for 'ATT8SCOR'.*'ATT8SCR'"):
        dictionary.describe("ATT8SCOR")
