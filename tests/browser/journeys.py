"""Each role's journey through the workspace, with the mouse and the keyboard, as the county
does it. Registered with @scenario; run by tests/browser/run.py in a process of its own."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.browser.driver import DESK, PHONE, Run, field_error, pick, scenario

ROLE_LABELS = {"team_member": "招商组成员", "leader": "县领导", "department": "部门",
               "branch_member": "支部成员", "inspector": "督查室"}


@scenario
def admin_makes_users(run: Run) -> None:
    """The printed admin logs in and makes one account of each role, scopes picked from lists;
    a username the server refuses is said beside the field."""
    page = run.page()
    run.login(page, "admin", run.job["admin_password"])
    run.shot(page, "workbench-admin")
    page.get_by_role("menuitem", name="管理").click()
    page.get_by_role("menuitem", name="用户").click()
    expect(page).to_have_url(re.compile("/admin/users"))
    scopes = {"team_member": ("招商组", "新能源产业专业招商协作组"), "leader": ("招商组", "新能源产业专业招商协作组"),
              "department": ("部门", "县自然资源和规划局"), "branch_member": ("党支部", "上海区域招商局行动党支部"),
              "inspector": None}
    first = True
    suffix = run.job.get("suffix", "")
    for role, scope in scopes.items():
        page.get_by_role("button", name="新建用户").click()
        dialog = page.get_by_role("dialog")
        username = "坏 名字" if first else f"ui.{role.replace('_', '-')}{suffix}"
        dialog.get_by_label("用户名").fill(username)
        dialog.get_by_label("姓名").fill(f"界面{ROLE_LABELS[role]}")
        pick(page, "角色", ROLE_LABELS[role])
        if scope:
            pick(page, scope[0], scope[1])
        dialog.get_by_label("初始密码").fill("county-pass-2026")
        if first:
            run.shot(page, "user-form")
        dialog.get_by_role("button", name="保 存").or_(dialog.get_by_role("button", name="保存")).click()
        if first:
            # The server's pattern for usernames: its 422 is shown beside the field, in Chinese.
            expect(field_error(dialog, "用户名")).to_be_visible()
            run.shot(page, "user-form-field-error", scan=False)
            run.figures["field_error"] = field_error(dialog, "用户名").inner_text()
            dialog.get_by_label("用户名").fill(f"ui.{role.replace('_', '-')}{suffix}")
            dialog.get_by_role("button", name="保 存").or_(dialog.get_by_role("button", name="保存")).click()
            first = False
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_role("cell", name=f"ui.{role.replace('_', '-')}{suffix}", exact=True)).to_be_visible()
    run.shot(page, "users")


@scenario
def session_survives_reload(run: Run) -> None:
    """Login, a reload and a deep link keep the session; an expired token goes to the login with
    a message and back to where the user was; logout; a password change."""
    username, password = run.user("team_member")
    page = run.page()
    run.go(page, "/leads")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fleads"))
    run.shot(page, "login")
    run.login(page, username, password, path="/login?next=%2Fleads")
    expect(page).to_have_url(re.compile(r"/leads$"))
    page.reload()
    expect(page.get_by_role("heading", name="项目线索")).to_be_visible()
    # The token goes bad (as after its 8 hours): the next request returns to the login.
    page.evaluate("""() => { const s = JSON.parse(localStorage.getItem('kuaiban.session'));
        s.token = 'expired.' + s.token; localStorage.setItem('kuaiban.session', JSON.stringify(s)); }""")
    run.go(page, "/policy")
    expect(page).to_have_url(re.compile(r"/login\?expired=1&next=%2Fpolicy"))
    expect(page.get_by_text("登录已过期")).to_be_visible()
    run.shot(page, "login-expired")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/policy$"))
    # A password change, with the keyboard only.
    page.get_by_title("账户菜单").click()
    page.get_by_role("menuitem", name="修改密码").click()
    page.get_by_label("当前密码").fill("not-my-password")
    page.get_by_label("新密码", exact=True).fill("a-new-county-pass")
    page.get_by_label("确认新密码").fill("a-new-county-pass")
    page.get_by_label("确认新密码").press("Enter")
    expect(field_error(page, "当前密码")).to_have_text("当前密码不正确")
    run.shot(page, "change-password")
    page.get_by_label("当前密码").fill(password)
    page.get_by_label("确认新密码").press("Enter")
    expect(page).to_have_url(re.compile(r"/login"))
    run.login(page, username, "a-new-county-pass")
    # Logout.
    page.get_by_title("账户菜单").click()
    page.get_by_role("menuitem", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login"))
    run.go(page, "/")
    expect(page).to_have_url(re.compile(r"/login"))
