"""Starts moto_server with two test-only patches (test tooling, not product code).

1. ECR GetAuthorizationToken answers carry expiresAt = now + 12 hours, as real ECR does;
   moto 5.2.1 always answers 2015-01-01, which makes every token look long expired.
2. If PRS_TEST_EKS_ENDPOINT and PRS_TEST_EKS_CA_FILE are set, every EKS cluster moto creates
   reports that endpoint and base64 of that CA file, so DescribeCluster leads a client to the
   local kube-apiserver instead of a random fake hostname with a random "CA".

Usage: python3 moto_launcher.py [moto_server arguments, e.g. -H 127.0.0.1 -p 5000]
       python3 moto_launcher.py --self-check   (applies the patches, then exits 0)

The patches reach into moto internals, so moto is pinned (5.2.1) and any missing internal
stops the launcher with a message naming it instead of silently serving unpatched answers.
"""

import base64
import os
import sys
import time
from typing import Any, NoReturn

EXPECTED_MOTO_VERSION = "5.2.1"
ECR_TOKEN_LIFETIME_SECONDS = 12 * 60 * 60


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"moto_launcher: {message}\n")
    sys.exit(2)


def require_attribute(owner: object, name: str, where: str) -> Any:
    if not hasattr(owner, name):
        fail(
            f"{where}.{name} is missing; this launcher patches moto {EXPECTED_MOTO_VERSION} "
            f"internals (install it with: python3 -m pip install 'moto[server]=="
            f"{EXPECTED_MOTO_VERSION}')"
        )
    return getattr(owner, name)


def patch_ecr_expiry() -> None:
    try:
        import moto.ecr.responses as ecr_responses
    except ImportError as error:
        fail(f"cannot import moto.ecr.responses: {error}")
    response_class = require_attribute(ecr_responses, "ECRResponse", "moto.ecr.responses")
    original = require_attribute(
        response_class, "get_authorization_token", "moto.ecr.responses.ECRResponse"
    )

    def get_authorization_token(self: Any) -> Any:
        answer = original(self)
        # moto builds a fresh dict per call, so rewriting it in place affects only this answer.
        result = getattr(answer, "result", None)
        entries = result.get("authorizationData") if isinstance(result, dict) else None
        if not isinstance(entries, list):
            raise RuntimeError(
                "moto_launcher: ECR GetAuthorizationToken result has an unexpected shape; "
                "the expiresAt patch needs updating for this moto version"
            )
        expires_at = round(time.time() + ECR_TOKEN_LIFETIME_SECONDS, 3)
        for entry in entries:
            entry["expiresAt"] = expires_at
        return answer

    response_class.get_authorization_token = get_authorization_token


def patch_eks_cluster(endpoint: str, ca_file: str) -> None:
    try:
        with open(ca_file, "rb") as handle:
            ca_data = base64.b64encode(handle.read()).decode("ascii")
    except OSError as error:
        fail(f"cannot read PRS_TEST_EKS_CA_FILE {ca_file!r}: {error}")
    try:
        import moto.eks.models as eks_models
    except ImportError as error:
        fail(f"cannot import moto.eks.models: {error}")
    require_attribute(eks_models, "ENDPOINT_TEMPLATE", "moto.eks.models")
    cluster_class = require_attribute(eks_models, "Cluster", "moto.eks.models")
    original_init = require_attribute(cluster_class, "__init__", "moto.eks.models.Cluster")

    # Cluster.__init__ formats the template with region=...; double any braces so the
    # endpoint is taken literally.
    eks_models.ENDPOINT_TEMPLATE = endpoint.replace("{", "{{").replace("}", "}}")

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # A cluster named down-* stands for one that cannot be reached: its endpoint is a
        # loopback port where nothing listens.
        if str(getattr(self, 'name', '')).startswith('down-'):
            self.endpoint = 'https://127.0.0.1:1'
        if not hasattr(self, "certificate_authority"):
            raise RuntimeError(
                "moto_launcher: moto.eks.models.Cluster no longer sets certificate_authority; "
                "the CA patch needs updating for this moto version"
            )
        self.certificate_authority = {"data": ca_data}

    cluster_class.__init__ = init


def main() -> None:
    try:
        import moto
        import moto.server
    except ImportError as error:
        fail(
            f"cannot import moto server ({error}); install it with: "
            f"python3 -m pip install 'moto[server]=={EXPECTED_MOTO_VERSION}'"
        )
    if moto.__version__ != EXPECTED_MOTO_VERSION:
        sys.stderr.write(
            f"moto_launcher: warning: moto {moto.__version__} is installed, the patches were "
            f"written for {EXPECTED_MOTO_VERSION}\n"
        )
    server_main = require_attribute(moto.server, "main", "moto.server")

    patch_ecr_expiry()
    endpoint = os.environ.get("PRS_TEST_EKS_ENDPOINT")
    ca_file = os.environ.get("PRS_TEST_EKS_CA_FILE")
    if endpoint and ca_file:
        patch_eks_cluster(endpoint, ca_file)
    elif endpoint or ca_file:
        fail("set both PRS_TEST_EKS_ENDPOINT and PRS_TEST_EKS_CA_FILE, or neither")

    argv = sys.argv[1:]
    if argv == ["--self-check"]:
        print(f"moto_launcher: moto {moto.__version__} patched")
        return
    server_main(argv)


if __name__ == "__main__":
    main()
