"""Paper: attachments on leads, policy requests and their items, problems and visits, and the
departments' seals.

Attachments live in the gateway's own database (GridFS bucket `attachments`), not in each
owning service: a file of up to 20 MB should not cross the broker as an RPC argument, one
implementation serves the five kinds of owner, and the gateway already decides who may see
what by asking the owning service for the object with the caller's principal (404 when it is
out of scope) — the same call the object's own detail route makes, so an attachment is scoped
exactly like its owner. Every upload and delete is a write the gateway audits.
"""
from __future__ import annotations

import base64
import hashlib
import io
import uuid
from urllib.parse import quote

from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Response

from services.gateway.http import api
from services.gateway.problems import Forbidden
from services.gateway.repository import AttachmentsRepository
from services.gateway.routes import EVERYONE
from services.gateway.views import AttachmentList, AttachmentView, SealInfo, SealUploaded
from services.policy.client import PolicyClient
from services.supervision.client import SupervisionClient
from shared import filetypes
from shared.errors import InvalidInput, NotFound
from shared.jsonable import jsonable
from services.branches.client import BranchesClient
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal

DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
SEAL_MAX_BYTES = 2 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file
ATTACHMENT_KINDS = ("pdf", "jpeg", "png", "ofd", "docx", "xlsx")
# Who reads each kind of owner (as its own routes say); the owning service narrows further.
OWNER_READERS = {
    "lead": EVERYONE,
    "policy_request": ("admin", "leader", "team_member", "department", "inspector"),
    "policy_item": ("admin", "leader", "team_member", "department", "inspector"),
    "problem": ("admin", "leader", "inspector", "team_member", "department"),
    "visit": ("admin", "leader", "inspector", "branch_member"),
}
# The inspector reads everything and writes nothing but reports.
UPLOADERS = tuple(role for role in EVERYONE if role != "inspector")


def uploaders(kind: str) -> tuple[str, ...]:
    return tuple(role for role in OWNER_READERS[kind] if role in UPLOADERS)


def invalid(message: str, loc=("body", "file")) -> InvalidInput:
    return InvalidInput(message, {"errors": [{"loc": list(loc), "msg": message}]})


def uploaded_file(request, limit: int) -> tuple[str, bytes]:
    """The multipart field `file`: its name and bytes; 422 in Chinese for anything else."""
    if (request.content_length or 0) > limit + MULTIPART_OVERHEAD:
        raise invalid(f"文件过大：不能超过 {limit // (1024 * 1024)} MB")
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype != "multipart/form-data":
        raise invalid("请以 multipart/form-data 上传，文件放在字段 file 中", ("header", "Content-Type"))
    raw = request.get_data(cache=True)
    _, _, files = FormDataParser(max_content_length=limit + MULTIPART_OVERHEAD).parse(
        io.BytesIO(raw), mimetype, len(raw), options)
    upload = files.get("file")
    if upload is None:
        raise invalid("缺少文件：请把文件放在字段 file 中")
    content = upload.read()
    if not content:
        raise invalid("文件为空")
    if len(content) > limit:
        raise invalid(f"文件过大：不能超过 {limit // (1024 * 1024)} MB")
    name = (upload.filename or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:200]
    return name or "attachment", content


def seal_bytes(request) -> bytes:
    """The seal's image, as multipart field `file` or as the body itself: at most SEAL_MAX_BYTES
    (the policy service checks that it is a PNG)."""
    mimetype, _ = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype == "multipart/form-data":
        _, content = uploaded_file(request, SEAL_MAX_BYTES)
        return content
    if (request.content_length or 0) > SEAL_MAX_BYTES:
        raise invalid("印章文件不能超过 2 MB", ("body",))
    return request.get_data(cache=True)


def attachment_view(doc: dict) -> dict:
    meta = doc["metadata"]
    return jsonable({"id": doc["_id"], "filename": doc["filename"], "bytes": doc["length"],
                     "kind": meta["kind"], "media_type": meta["media_type"],
                     "sha256": meta["sha256"], "owner": meta["owner"],
                     "uploaded_by": meta["uploaded_by"], "uploaded_at": doc["uploadDate"],
                     "note": meta.get("note")})


def content_disposition(filename: str) -> str:
    """The file's name for the browser, Chinese included (RFC 6266 / 5987)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(filename)}'


class PaperRoutes:
    supervision = SupervisionClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    policy = PolicyClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    branches = BranchesClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    # -- whose is it, may the caller see it -------------------------------------------------
    def check_owner(self, request, owner: str) -> None:
        """The owner exists and the caller may see it, else 404 (403 for a role that never
        reads such objects), exactly as the owner's own detail route answers."""
        kind, _, rest = owner.partition(":")
        principal = request.principal
        if principal["role"] not in OWNER_READERS[kind]:  # never reads such objects: 404 too
            raise NotFound(f"no attachment owner {owner}")
        caller = Principal.of(principal)
        if kind == "lead":
            self.visible_lead(request, rest)
        elif kind == "policy_request":
            self.policy.get(rest, caller)
        elif kind == "policy_item":
            request_id, n = rest.rsplit(":", 1)
            seen = self.policy.get(request_id, caller)
            if int(n) not in [item["n"] for item in seen["items"]]:
                raise NotFound(f"no item {n} in policy request {request_id}")
        elif kind == "problem":
            self.supervision.get_problem(rest, caller)
        elif kind == "visit":
            self.branches.get_visit(rest, caller)

    def attachments(self) -> AttachmentsRepository:
        return AttachmentsRepository(self.accounts.db)

    def attach(self, request, owner: str):
        limit = int(self.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_ATTACHMENT_MAX_BYTES)
        filename, content = uploaded_file(request, limit)  # before any RPC: bad files cost little
        kind = filetypes.kind_of(content)
        if kind not in ATTACHMENT_KINDS:
            raise invalid("文件类型不支持（按文件内容判断）：仅限 PDF、JPEG、PNG、OFD、DOCX、XLSX")
        self.check_owner(request, owner)
        file_id = uuid.uuid4().hex
        note = (request.args.get("note") or "")[:200] or None
        self.attachments().store(file_id, filename, content, {
            "owner": owner, "kind": kind, "media_type": filetypes.MEDIA_TYPES[kind],
            "sha256": hashlib.sha256(content).hexdigest(),
            "uploaded_by": request.principal["username"], "uploaded_role":
                request.principal["role"], "note": note})
        return 201, attachment_view(self.attachments().get(file_id))

    def listing(self, request, owner: str):
        self.check_owner(request, owner)
        items = [attachment_view(d) for d in self.attachments().of_owner(owner)]
        return {"items": items, "total": len(items)}

    def check_proof(self, request_id: str, n: int, body) -> None:
        """A reply's proof is a file attached to that item (or its request): else 422."""
        proof = body.get("proof_attachment_id") if isinstance(body, dict) else None
        if not isinstance(proof, str):
            return  # absent, or of a wrong type the policy service's validation names
        try:
            owner = self.attachments().get(proof)["metadata"]["owner"]
        except NotFound:
            owner = None
        if owner not in (f"policy_item:{request_id}:{n}", f"policy_request:{request_id}"):
            raise invalid("证明材料须为先上传到本项诉求（或本批诉求）的附件",
                          ("body", "proof_attachment_id"))

    # -- one pair of routes per kind of owner ------------------------------------------------
    @api("POST", "/api/v1/leads/<string:lead_id>/attachments", roles=uploaders("lead"),
         response=AttachmentView,
         summary="Attach a file to a lead (multipart field file)")
    def attach_to_lead(self, request, lead_id):
        return self.attach(request, f"lead:{lead_id}")

    @api("GET", "/api/v1/leads/<string:lead_id>/attachments", roles=OWNER_READERS["lead"],
         response=AttachmentList,
         summary="A lead's attachments")
    def lead_attachments(self, request, lead_id):
        return self.listing(request, f"lead:{lead_id}")

    @api("POST", "/api/v1/policy-requests/<string:request_id>/attachments",
         roles=uploaders("policy_request"), response=AttachmentView,
         summary="Attach a file to a policy request (multipart field file)")
    def attach_to_policy_request(self, request, request_id):
        return self.attach(request, f"policy_request:{request_id}")

    @api("GET", "/api/v1/policy-requests/<string:request_id>/attachments",
         roles=OWNER_READERS["policy_request"], response=AttachmentList,
         summary="A policy request's attachments")
    def policy_request_attachments(self, request, request_id):
        return self.listing(request, f"policy_request:{request_id}")

    @api("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/attachments",
         roles=uploaders("policy_item"), response=AttachmentView,
         summary="Attach a file to one item, e.g. the scanned stamped reply")
    def attach_to_policy_item(self, request, request_id, n):
        return self.attach(request, f"policy_item:{request_id}:{n}")

    @api("GET", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/attachments",
         roles=OWNER_READERS["policy_item"], response=AttachmentList, summary="One item's attachments")
    def policy_item_attachments(self, request, request_id, n):
        return self.listing(request, f"policy_item:{request_id}:{n}")

    @api("POST", "/api/v1/problems/<string:problem_id>/attachments", roles=uploaders("problem"),
         response=AttachmentView,
         summary="Attach a file to a problem (multipart field file)")
    def attach_to_problem(self, request, problem_id):
        return self.attach(request, f"problem:{problem_id}")

    @api("GET", "/api/v1/problems/<string:problem_id>/attachments", roles=OWNER_READERS["problem"],
         response=AttachmentList,
         summary="A problem's attachments")
    def problem_attachments(self, request, problem_id):
        return self.listing(request, f"problem:{problem_id}")

    @api("POST", "/api/v1/visits/<string:visit_id>/attachments", roles=uploaders("visit"),
         response=AttachmentView,
         summary="Attach a file to a visit (multipart field file)")
    def attach_to_visit(self, request, visit_id):
        return self.attach(request, f"visit:{visit_id}")

    @api("GET", "/api/v1/visits/<string:visit_id>/attachments", roles=OWNER_READERS["visit"],
         response=AttachmentList,
         summary="A visit's attachments")
    def visit_attachments(self, request, visit_id):
        return self.listing(request, f"visit:{visit_id}")

    # -- one attachment -----------------------------------------------------------------------
    @api("GET", "/api/v1/attachments/<string:attachment_id>", roles=EVERYONE,
         produces="application/octet-stream", summary="The file, byte for byte")
    def download_attachment(self, request, attachment_id):
        doc = self.attachments().get(attachment_id)
        self.check_owner(request, doc["metadata"]["owner"])
        content = self.attachments().content(attachment_id)
        return Response(content, content_type=doc["metadata"]["media_type"], headers={
            "Content-Disposition": content_disposition(doc["filename"]),
            "X-Content-SHA256": doc["metadata"]["sha256"]})

    @api("DELETE", "/api/v1/attachments/<string:attachment_id>", roles=UPLOADERS,
         response=AttachmentView,
         summary="Delete an attachment (its uploader or an admin)")
    def delete_attachment(self, request, attachment_id):
        doc = self.attachments().get(attachment_id)
        self.check_owner(request, doc["metadata"]["owner"])
        principal = request.principal
        uploader = doc["metadata"]["uploaded_by"]
        if principal["role"] != "admin" and uploader != principal["username"]:
            raise Forbidden("只有上传者或管理员可以删除附件")
        self.attachments().delete(attachment_id)
        return attachment_view(doc)

    # -- seals ----------------------------------------------------------------------------------
    @api("PUT", "/api/v1/units/<string:name>/seal", roles=("admin",), response=SealUploaded,
         summary="Upload (or replace) a department's seal: a PNG with transparency, printed "
                 "over its 落款 in reply letters")
    def put_seal(self, request, name):
        if name not in {u["name"] for u in self.supervision.units()}:
            raise NotFound(f"no unit {name}")
        content = seal_bytes(request)
        return self.policy.set_seal(name, base64.b64encode(content).decode("ascii"),
                                    Principal.of(request.principal))

    @api("GET", "/api/v1/units/<string:name>/seal", roles=("admin", "department", "inspector"),
         response=SealInfo,
         summary="Whether a unit's seal is uploaded, when and by whom (not the image)")
    def get_seal(self, request, name):
        return self.policy.seal_info(name)
