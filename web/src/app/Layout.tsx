import { Suspense, useEffect, useState } from "react";
import { Outlet, useLocation, useNavigate } from "react-router";
import { Badge, Button, Drawer, Dropdown, Grid, Layout, Menu, Spin, Typography } from "antd";
import { BellOutlined, KeyOutlined, LogoutOutlined, MenuOutlined, UserOutlined } from "@ant-design/icons";
import { client, unwrap } from "../lib/api";
import { ROLE_LABELS, saveSession } from "../lib/session";
import { forgetReference } from "../lib/reference";
import { useSession } from "../lib/auth";
import { menuFor } from "./menu";

const { Header, Sider, Content } = Layout;

function selectedKey(path: string): string {
  if (path === "/") return "/";
  for (const sub of ["/leads/new", "/leads/import", "/policy/new", "/policy/import"]) if (path.startsWith(sub)) return sub;
  if (path.startsWith("/problems/new")) return "/problems/new";
  const first = "/" + path.split("/")[1];
  if (first === "/admin") return "/" + path.split("/").slice(1, 3).join("/");
  return first;
}

function useUnread(): number {
  const [unread, setUnread] = useState(0);
  useEffect(() => {
    let stop = false;
    const load = () => unwrap<{ unread?: number }>(client.GET("/api/v1/notifications", { params: { query: { page_size: 1 } } }))
      .then((d) => { if (!stop) setUnread(d.unread ?? 0); }, () => undefined);
    load();
    const t = setInterval(load, 30_000);
    const onRead = () => load();
    window.addEventListener("kuaiban:notifications", onRead);
    return () => { stop = true; clearInterval(t); window.removeEventListener("kuaiban:notifications", onRead); };
  }, []);
  return unread;
}

export function AppLayout() {
  const session = useSession()!;
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const phone = !screens.md;
  const [drawer, setDrawer] = useState(false);
  const unread = useUnread();
  const items = menuFor(session.me.role);
  const selected = selectedKey(location.pathname);
  const open = items.filter((i) => i.children?.some((c) => c.key === selected)).map((i) => i.key);

  const menu = (
    <Menu
      mode="inline"
      theme="dark"
      items={items}
      selectedKeys={[selected]}
      defaultOpenKeys={open}
      onClick={({ key }) => { setDrawer(false); navigate(key); }}
    />
  );
  const logout = () => { saveSession(null); forgetReference(); navigate("/login"); };

  return (
    <Layout style={{ minHeight: "100vh" }}>
      {!phone && (
        <Sider width={208} theme="dark" aria-label="主菜单">
          <div className="brand">快办 · 招商工作台</div>
          {menu}
        </Sider>
      )}
      {phone && (
        <Drawer placement="left" open={drawer} onClose={() => setDrawer(false)} width={240} title="快办 · 招商工作台"
          styles={{ body: { padding: 0, background: "#001529" } }}>
          {menu}
        </Drawer>
      )}
      <Layout>
        <Header className="app-header">
          {phone && <Button type="text" aria-label="打开菜单" icon={<MenuOutlined />} onClick={() => setDrawer(true)} />}
          {phone && <span className="brand-phone">快办</span>}
          <div style={{ flex: 1 }} />
          <Badge count={unread} size="small" offset={[-4, 4]}>
            <Button type="text" aria-label={`通知，未读 ${unread} 条`} icon={<BellOutlined />} onClick={() => navigate("/notifications")} />
          </Badge>
          <Dropdown trigger={["click"]}
            menu={{
              items: [
                { key: "password", icon: <KeyOutlined />, label: "修改密码" },
                { key: "logout", icon: <LogoutOutlined />, label: "退出登录" },
              ],
              onClick: ({ key }) => (key === "logout" ? logout() : navigate("/password")),
            }}
          >
            <Button type="text" icon={<UserOutlined />} aria-label={phone ? "账户菜单" : undefined} title="账户菜单">
              {!phone && <span>{session.me.display_name}<Typography.Text type="secondary" style={{ marginLeft: 8 }}>{ROLE_LABELS[session.me.role]}</Typography.Text></span>}
            </Button>
          </Dropdown>
        </Header>
        <Content className="app-content">
          <Suspense fallback={<Spin style={{ display: "block", margin: 48 }} tip="加载中"><div /></Spin>}>
            <Outlet />
          </Suspense>
        </Content>
      </Layout>
    </Layout>
  );
}
