import { Link } from "react-router";
import { Card, Typography } from "antd";
import type { components } from "../../lib/api-types";
import { SheetImport } from "../../components/SheetImport";

type Answer = components["schemas"]["LedgerImport"];

function outcome(a: Answer) {
  return (
    <>
      <div>{a.dry_run ? `将新建 ${a.would_create} 条线索` : `已新建 ${a.created} 条线索`}{a.already_imported ? `，${a.already_imported} 条此前已导入（不重复新建）` : ""}。</div>
      {a.possible_duplicates.length > 0 && (
        <div>可能与已有线索重复（仍会新建，请核对）：
          <ul className="plain-list">{a.possible_duplicates.map((d) => (
            <li key={d.row}>第 {d.row} 行：{d.leads.map((id, n) => <span key={id}>{n ? "、" : ""}<Link to={`/leads/${id}`}>已有线索 {n + 1}</Link></span>)}</li>))}
          </ul>
        </div>
      )}
      {!a.dry_run && a.created > 0 && <div><Link to="/leads">到项目线索查看</Link></div>}
    </>
  );
}

export default function LedgerImport() {
  return (
    <>
      <Typography.Title level={3} className="page-title">导入项目台账</Typography.Title>
      <Typography.Paragraph type="secondary">把县里的项目台账（Excel）导入为线索：先检查每行，再导入有效的行；同一文件再次导入不会重复新建。</Typography.Paragraph>
      <Card>
        <SheetImport<Answer> path="/api/v1/leads/import" whole={false} outcome={outcome}
          template={{ path: "/api/v1/leads/import/template.xlsx", filename: "项目台账导入模板.xlsx" }} />
      </Card>
    </>
  );
}
