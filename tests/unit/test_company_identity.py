"""One company, one identity: the leads' de-duplication and the branches' first-to-claim check
fold a company's name and credit code by the same rule (shared/company.py)."""
import pytest

from services.branches.schemas import VisitCreate
from services.leads import domain as leads_domain
from services.leads.schemas import Company
from shared.company import company_keys, company_name_key, normalise_credit_code

# Names and codes as the companies publish them (business licences), each written the ways a
# phone or a spreadsheet delivers it: full width, spaced, in other case, with its legal form.
PUBLISHED = [
    ("华为技术有限公司", "914403001922038216",
     ["华为技术 有限公司", "　华为技术有限公司　", "华为技术"],
     [" 9144 0300 1922 0382 16 ", "９１４４０３００１９２２０３８２１６"]),
    ("阿里巴巴（中国）有限公司", "91330100716105852F",
     ["阿里巴巴(中国)有限公司", "阿里巴巴（中国）有限责任公司"],
     ["91330100716105852f", " 91330100716105852F"]),
    ("深圳市腾讯计算机系统有限公司", "9144030071526726XG",
     ["深圳市腾讯计算机系统 有限公司"], ["9144030071526726xg"]),
    ("贵州茅台酒股份有限公司", "91520000214434146R",
     ["贵州茅台酒有限公司", "贵州茅台酒"], ["9152 0000 2144 3414 6R"]),
    ("Kweichow Moutai Co., Ltd.", "91520000214434146R",
     ["KWEICHOW MOUTAI CO.,LTD.", "Kweichow Moutai Co.,Ltd", "ｋｗｅｉｃｈｏｗ ｍｏｕｔａｉ"], []),
    ("Jushi Co., Ltd.", None, ["jushi", "JUSHI CO.,LTD."], []),
]


def leads_key(name: str, credit_code: str | None) -> tuple[str, str | None]:
    """What the leads service compares: the stored name key and the validated code."""
    company = Company.model_validate({"name": name, "credit_code": credit_code})
    lead = {"title": "t", "company": company.model_dump(exclude_none=True), "investment_cny": 0}
    stored = leads_domain.derived_fields(lead, 1)["company"]
    return stored["name_key"], stored.get("credit_code")


def branches_keys(name: str, credit_code: str | None) -> list[str]:
    """What the branches service claims a company under, from a visit as logged."""
    visit = VisitCreate.model_validate({"company": name, "credit_code": credit_code})
    return company_keys(visit.company, visit.credit_code)


@pytest.mark.parametrize("name,code,names,codes", PUBLISHED)
def test_leads_and_branches_give_one_company_one_key(name, code, names, codes):
    name_key, credit_code = leads_key(name, code)
    expected = ([f"credit_code:{credit_code}"] if credit_code else []) + [f"name:{name_key}"]
    assert branches_keys(name, code) == expected
    for written in names:
        assert leads_key(written, None)[0] == name_key, written
        assert branches_keys(written, None) == [f"name:{name_key}"], written
    for written in codes:
        assert leads_key(name, written)[1] == code, written
        assert branches_keys(name, written)[0] == f"credit_code:{code}", written


def test_the_two_spellings_the_services_once_disagreed_on():
    assert leads_key("Jushi Co., Ltd.", None)[0] == "jushi"
    assert branches_keys("Jushi Co., Ltd.", None) == ["name:jushi"]
    assert normalise_credit_code(" 9133 0000 ") == "91330000"


def test_two_companies_stay_two():
    assert company_name_key("巨石集团有限公司") != company_name_key("巨石材料有限公司")
    assert branches_keys("华为技术有限公司", "914403001922038216") != branches_keys(
        "华为技术有限公司", "91330100716105852F")


# Moved from the branches' domain tests: the same rule, now the one in shared/company.py.
class TestSameCompany:
    @pytest.mark.parametrize("written", [
        "巨石集团有限公司", "巨石集团股份有限公司", "巨石集团 有限公司", "巨石集团有限责任公司",
        "巨石集团", "　巨石集团有限公司　",
    ])
    def test_legal_form_spaces_and_full_width_fold_to_one_name(self, written):
        assert company_name_key(written) == "巨石集团"

    def test_full_width_latin_and_case_fold(self):
        assert company_name_key("ＡＢＣ科技有限公司") == "abc科技"

    def test_a_name_that_is_only_a_suffix_stays(self):
        assert company_name_key("有限公司") == "有限公司"

    def test_claim_keys_name_the_credit_code_and_the_name(self):
        assert company_keys("巨石集团有限公司", " 91110000600037341l ") == [
            "credit_code:91110000600037341L", "name:巨石集团"]
        assert company_keys("巨石集团有限公司", None) == ["name:巨石集团"]
