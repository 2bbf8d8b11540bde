"""Bad input: every case exits non-zero with one clear line naming file, row/key and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from prioritizer.cli import main
from prioritizer.data.dataset import load_dataset, load_dictionary
from prioritizer.data.reading import read_table
from prioritizer.domain import CATEGORY_LABELS
from prioritizer.errors import InputError
from prioritizer.paths import SAMPLE_DATA_DIR, WEIGHTS_DIR
from prioritizer.scoring.settings import list_profiles, load_profile, parse_profile

PARTNERS = SAMPLE_DATA_DIR / "partners.csv"


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def partners_copy(tmp_path: Path, edit) -> Path:
    frame = pd.read_csv(PARTNERS, dtype=str, keep_default_na=False)
    frame = edit(frame)
    path = tmp_path / "partners.csv"
    frame.to_csv(path, index=False)
    return path


def assert_clear_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_missing_required_column(tmp_path, capsys):
    path = partners_copy(tmp_path, lambda f: f.drop(columns=["command"]))
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "partners.csv", "column 'command'",
                       "missing")


def test_extra_column_not_in_dictionary(tmp_path, capsys):
    path = partners_copy(tmp_path, lambda f: f.assign(gdp_growth="1.0"))
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "partners.csv", "row 1",
                       "column 'gdp_growth'", "indicator dictionary")


def test_non_numeric_cell_names_row_and_column(tmp_path, capsys):
    def edit(f):
        f.loc[4, "wgi_rule_of_law"] = "high"
        return f
    path = partners_copy(tmp_path, edit)
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "partners.csv", "row 6",
                       "column 'wgi_rule_of_law'", "'high'")


def test_duplicate_partner_id(tmp_path, capsys):
    def edit(f):
        f.loc[3, "partner_id"] = f.loc[1, "partner_id"]
        return f
    path = partners_copy(tmp_path, edit)
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "row 5", "column 'partner_id'",
                       "duplicate", "first on row 3")


def test_unknown_command_and_bad_state_id(tmp_path, capsys):
    def edit(f):
        f.loc[0, "command"] = "SPACECOM"
        return f
    path = partners_copy(tmp_path, edit)
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "row 2", "column 'command'",
                       "SPACECOM")


def test_unknown_partner_in_priority_file(tmp_path, capsys):
    path = tmp_path / "priority.csv"
    path.write_text("partner_id,priority\nKEN,4\nXXX,5\n", encoding="utf-8")
    assert_clear_error(*run_cli(["score", "--priority", str(path)], capsys)[::2], "priority.csv", "row 3",
                       "column 'partner_id'", "unknown partner id 'XXX'")


def test_priority_out_of_range(tmp_path, capsys):
    path = tmp_path / "priority.csv"
    path.write_text("partner_id,priority\nKEN,7\n", encoding="utf-8")
    assert_clear_error(*run_cli(["score", "--priority", str(path)], capsys)[::2], "row 2", "column 'priority'",
                       "1 (low) to 5")


def test_negative_funding(tmp_path, capsys):
    path = tmp_path / "funding.csv"
    path.write_text("partner_id,baseline_usd_m\nKEN,-4\n", encoding="utf-8")
    assert_clear_error(*run_cli(["score", "--funding", str(path)], capsys)[::2], "funding.csv", "row 2",
                       "column 'baseline_usd_m'", "negative")


def test_empty_file(tmp_path, capsys):
    path = tmp_path / "partners.csv"
    path.write_bytes(b"")
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "partners.csv", "empty")


def test_header_only_file(tmp_path, capsys):
    path = tmp_path / "partners.csv"
    path.write_text("partner_id,name,partner_type,command,region,subregion\n", encoding="utf-8")
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "no data rows")


def test_binary_file(tmp_path, capsys):
    path = tmp_path / "partners.csv"
    path.write_bytes(bytes(range(256)) * 8)
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "partners.csv", "binary")


def test_non_utf8_text_names_the_line(tmp_path, capsys):
    text = PARTNERS.read_text(encoding="utf-8").splitlines()
    text[5] = text[5].replace(text[5].split(",")[1], "Côte")
    path = tmp_path / "partners.csv"
    path.write_bytes("\n".join(text).encode("latin-1", errors="replace"))
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "partners.csv", "not UTF-8",
                       "row 6")


def test_xlsx_partners_file_is_accepted(tmp_path, capsys):
    frame = pd.read_csv(PARTNERS, dtype=str, keep_default_na=False)
    path = tmp_path / "partners.xlsx"
    frame.to_excel(path, index=False)
    code, out, err = run_cli(["score", "--data", str(path), "--top", "3"], capsys)
    assert code == 0, err
    assert "Propensity ranking" in out


def test_missing_file(tmp_path, capsys):
    assert_clear_error(*run_cli(["score", "--data", str(tmp_path / "nope.csv")], capsys)[::2], "nope.csv",
                       "not found")


def _profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE_PROFILE = (WEIGHTS_DIR / "default.yaml").read_text(encoding="utf-8")


def test_broken_yaml_names_line(tmp_path, capsys):
    path = _profile(tmp_path, "name: x\npurpose: y\ncategories: {governance: 1,\n  stability: [\n")
    assert_clear_error(*run_cli(["score", "--weights", str(path)], capsys)[::2], "profile.yaml", "broken YAML")


def test_negative_weight_names_key(tmp_path, capsys):
    path = _profile(tmp_path, BASE_PROFILE.replace("governance: 0.25", "governance: -0.25"))
    assert_clear_error(*run_cli(["score", "--weights", str(path)], capsys)[::2], "profile.yaml",
                       "key 'categories.governance'", "negative")


def test_all_zero_weights(tmp_path, capsys):
    text = BASE_PROFILE
    for cat, w in (("governance", "0.25"), ("democracy_rights", "0.10"), ("stability", "0.15"),
                   ("absorptive_capacity", "0.20"), ("shared_interests", "0.20"), ("us_engagement", "0.10")):
        text = text.replace(f"{cat}: {w}", f"{cat}: 0")
    path = _profile(tmp_path, text)
    assert_clear_error(*run_cli(["score", "--weights", str(path)], capsys)[::2], "key 'categories'", "all")


def test_unknown_category_and_method(tmp_path, capsys):
    path = _profile(tmp_path, BASE_PROFILE.replace("us_engagement: 0.10", "us_engagement: 0.10\n  economy: 1"))
    assert_clear_error(*run_cli(["score", "--weights", str(path)], capsys)[::2], "key 'categories.economy'",
                       "unknown id")
    path = _profile(tmp_path, BASE_PROFILE.replace("normalisation: minmax", "normalisation: softmax"))
    assert_clear_error(*run_cli(["score", "--weights", str(path)], capsys)[::2], "key 'method.normalisation'")


def test_profile_with_extra_top_level_key(tmp_path, capsys):
    path = _profile(tmp_path, BASE_PROFILE + "\nbudget: 100\n")
    assert_clear_error(*run_cli(["score", "--weights", str(path)], capsys)[::2], "key 'budget'")


def test_indicator_missing_from_dictionary_in_data_dir(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA_DIR, data, ignore=shutil.ignore_patterns("panels", "*.json"))
    dictionary = pd.read_csv(data / "indicators.csv", dtype=str, keep_default_na=False)
    dictionary = dictionary[dictionary["indicator_id"] != "literacy_rate"]
    dictionary.to_csv(data / "indicators.csv", index=False)
    with pytest.raises(InputError) as err:
        load_dataset(data)
    assert "column 'literacy_rate'" in str(err.value) and "partners.csv" in str(err.value)


def test_dictionary_bad_direction(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA_DIR, data, ignore=shutil.ignore_patterns("panels", "*.json"))
    dictionary = pd.read_csv(data / "indicators.csv", dtype=str, keep_default_na=False)
    dictionary.loc[2, "direction"] = "2"
    dictionary.to_csv(data / "indicators.csv", index=False)
    with pytest.raises(InputError, match=r"indicators.csv', row 4, column 'direction'"):
        load_dictionary(data)


def test_log_indicator_must_be_positive(tmp_path, capsys):
    def edit(f):
        f.loc[0, "gdp_pc_ppp"] = "-5"
        return f
    path = partners_copy(tmp_path, edit)
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "row 2", "column 'gdp_pc_ppp'",
                       "> 0")


def test_read_table_from_upload_bytes():
    frame = read_table(b"partner_id,priority\nKEN,4\n", "priority.csv")
    assert frame.to_dict("records") == [{"partner_id": "KEN", "priority": "4"}]
    with pytest.raises(InputError, match="upload.xlsx"):
        read_table(b"not a workbook", "upload.xlsx")


def test_bad_output_extension(tmp_path, capsys):
    assert_clear_error(*run_cli(["score", "--out", str(tmp_path / "x.txt")], capsys)[::2], "x.txt",
                       ".csv or .xlsx")


def test_valid_profile_loads_every_shipped_profile():
    dictionary, _ = load_dictionary()
    profiles = list_profiles()
    assert {"default", "equal", "capacity_building", "interoperability", "stability"} <= set(profiles)
    for path in profiles.values():
        profile = load_profile(path, dictionary)
        assert profile.purpose and sum(profile.category_weights.values()) > 0


def test_category_labels_match_the_shipped_construct_table():
    constructs = pd.read_csv(SAMPLE_DATA_DIR / "constructs.csv")
    shipped = dict(constructs[["category_id", "category_label"]].drop_duplicates().itertuples(index=False))
    assert shipped == CATEGORY_LABELS


def test_bad_income_group_names_row_and_column(tmp_path, capsys):
    def edit(f):
        f.loc[2, "income_group"] = "RICH"
        return f
    path = partners_copy(tmp_path, edit)
    assert_clear_error(*run_cli(["score", "--data", str(path)], capsys)[::2], "partners.csv", "row 4",
                       "column 'income_group'", "HIC")


def test_income_group_is_optional(tmp_path):
    path = partners_copy(tmp_path, lambda f: f.drop(columns=["income_group", "income_group_year"]))
    data = load_dataset(partners=path)
    assert data.partners["income_group"].isna().all()
    shipped = load_dataset()
    assert shipped.partners.at["JPN", "income_group"] == "HIC"
    assert shipped.partners.at["JPN", "income_group_year"] >= 2020


# --------------------------------------------------------------------------- profile messages (locked)

def _profile_data(edit) -> dict:
    data = yaml.safe_load(BASE_PROFILE)
    edit(data)
    return data


def _set(section: str | None, **values):
    def edit(data: dict) -> None:
        (data[section] if section else data).update(values)
    return edit


def _zero_category_weights(data: dict) -> None:
    data["categories"] = dict.fromkeys(data["categories"], 0)


@pytest.mark.parametrize(("edit", "expected"), [
    (_set(None, category_weights={"governance": 1}),
     "key 'category_weights': unknown key (expected: categories, constructs, indicators, method, name, purpose)"),
    (lambda d: d.update(category_weights=d.pop("categories")),
     "key 'category_weights': unknown key (expected: categories, constructs, indicators, method, name, purpose)"),
    (lambda d: d.pop("name"), "key 'name': required key is missing"),
    (_set(None, purpose=""), "key 'purpose': required key is missing"),
    (_set(None, categories=None), "key 'categories': required key is missing"),
    (_set(None, categories=[1, 2]), "key 'categories': must be a mapping of id: weight"),
    (_set("categories", economy=1), "key 'categories.economy': unknown id (expected one of: absorptive_capacity, "
     "democracy_rights, governance, shared_interests, stability, us_engagement)"),
    (_set("categories", governance="high"), "key 'categories.governance': weight must be a number (got 'high')"),
    (_set("categories", governance=True), "key 'categories.governance': weight must be a number (got True)"),
    (_set("categories", governance=float("inf")), "key 'categories.governance': weight must be finite"),
    (_set("categories", governance=-0.25), "key 'categories.governance': weight cannot be negative (got -0.25)"),
    (_set("categories", governance=2e6), "key 'categories.governance': weight must be at most 1e+06 (got 2e+06); "
     "weights are relative, so scale them all down"),
    (lambda d: d["categories"].pop("stability"),
     "key 'categories.stability': category has no weight; give 0 to leave it out"),
    (_zero_category_weights, "key 'categories': all category weights are zero; give at least one a positive weight"),
    (_set("constructs", effectiveness=0, rule_of_law=0),
     "key 'constructs': category 'governance' has weight 0.25 but all its constructs weigh 0"),
    (_set("constructs", wealth=1), "key 'constructs.wealth': unknown id (expected one of: alignment, "),
    (_set("constructs", fragility=-1), "key 'constructs.fragility': weight cannot be negative (got -1)"),
    (_set(None, indicators={"gdp": 1}), "key 'indicators.gdp': unknown id (expected one of: fh_total_reversed, "),
    (_set(None, indicators={"wgi_gov_effectiveness": 0}),
     "key 'indicators': construct 'effectiveness' has weight 1 but all its indicators weigh 0"),
    (_set(None, method=[1]), "key 'method': must be a mapping"),
    (_set("method", speed=1), "key 'method.speed': unknown "),
    (_set("method", normalisation="softmax"), "key 'method.normalisation': must be one of "),
    (_set("method", aggregation="median"), "key 'method.aggregation': must be one of "),
    (_set("method", missing="drop"), "key 'method.missing': must be one of "),
    (_set("method", knn_neighbours=0), "key 'method.knn_neighbours': must be a whole number ≥ 1"),
    (_set("method", knn_neighbours=2.5), "key 'method.knn_neighbours': must be a whole number"),
    (_set("method", coverage_threshold=1.5), "key 'method.coverage_threshold': must be a share between 0 and 1"),
    (_set("method", coverage_threshold="high"), "key 'method.coverage_threshold': must be "),
    (_set("method", winsorise=0.5),
     "key 'method.winsorise': must be empty or a tail share in [0, 0.5), e.g. 0.05"),
])
def test_profile_errors_name_file_and_key(edit, expected):
    dictionary, _ = load_dictionary()
    with pytest.raises(InputError) as err:
        parse_profile(_profile_data(edit), dictionary, "weights/bad.yaml")
    assert str(err.value).startswith("file 'bad.yaml', " + expected), str(err.value)


def test_profile_that_is_not_a_mapping_says_what_a_profile_holds():
    dictionary, _ = load_dictionary()
    with pytest.raises(InputError) as err:
        parse_profile(["governance"], dictionary, "bad.yaml")
    assert str(err.value) == ("file 'bad.yaml': a weight profile must be a YAML mapping "
                              "(name, purpose, method, categories, …)")


def test_profile_defaults_and_lenient_names():
    dictionary, _ = load_dictionary()
    profile = parse_profile(_profile_data(_set(None, name=2025, method=None)), dictionary, "p.yaml")
    assert profile.name == "2025" and profile.normalisation == "minmax" and profile.coverage_threshold == 0.6
    assert set(profile.construct_weights) == set(dictionary["construct"])
    assert profile.indicator_weights == dict.fromkeys(dictionary.index, 1.0)
    assert parse_profile(profile.to_dict(), dictionary, "p.yaml") == profile


def test_profile_copies_are_validated():
    dictionary, _ = load_dictionary()
    profile = load_profile(WEIGHTS_DIR / "default.yaml", dictionary)
    heavier = profile.with_category_weights({"governance": 2})
    assert heavier.category_weights["governance"] == 2.0 and heavier.category_weights["stability"] == 0.15
    assert profile.category_weights["governance"] == 0.25
    with pytest.raises(InputError, match=r"key 'categories.governance': weight cannot be negative"):
        profile.with_category_weights({"governance": -1})
    with pytest.raises(InputError, match=r"key 'categories.economy': unknown id"):
        profile.with_category_weights({"economy": 1})
    with pytest.raises(InputError, match=r"key 'categories': all category weights are zero"):
        profile.with_category_weights(dict.fromkeys(profile.category_weights, 0))
    assert profile.with_construct_weights({"fragility": 3}).construct_weights["fragility"] == 3.0
    with pytest.raises(InputError, match=r"key 'constructs.fragility': weight must be a number"):
        profile.with_construct_weights({"fragility": "x"})
    assert profile.with_method(aggregation="geometric").aggregation == "geometric"
    with pytest.raises(InputError, match=r"key 'method.aggregation'"):
        profile.with_method(aggregation="median")
    with pytest.raises(InputError, match=r"key 'method.knn_neighbours'"):
        profile.with_method(knn_neighbours=0)


def test_renamed_profile_key_from_the_cli(tmp_path, capsys):
    path = _profile(tmp_path, BASE_PROFILE.replace("\ncategories:", "\ncategory_weights:"))
    assert_clear_error(*run_cli(["score", "--weights", str(path)], capsys)[::2], "file 'profile.yaml'",
                       "key 'category_weights': unknown key (expected: categories, constructs, indicators, method, "
                       "name, purpose)")
