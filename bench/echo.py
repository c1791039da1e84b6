"""The floor for `make bench`: nameko's own HTTP -> RPC echo, with nothing of Kuaiban in it."""
from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


class EchoHttp:
    name = "bench_echo_http"
    echo_service = RpcProxy("bench_echo")

    @http("GET", "/echo")
    def echo(self, request):
        return self.echo_service.echo("ok")
