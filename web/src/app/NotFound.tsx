import { Button, Result } from "antd";
import { useNavigate } from "react-router";

export default function NotFound() {
  const navigate = useNavigate();
  return <Result status="404" title="页面不存在" subTitle="该页面不存在，或当前角色无权访问。"
    extra={<Button type="primary" onClick={() => navigate("/")}>返回我的工作台</Button>} />;
}
