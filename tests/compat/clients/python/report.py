"""Per-feature results of a compat client run, printed as the one JSON line the suites parse."""
import json
import sys
import traceback

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


class Report:
    def __init__(self, client, version):
        self.data = {"client": client, "version": version, "features": {}}

    def check(self, name, error=None, detail=None):
        feature = {"ok": error is None}
        if error is not None:
            feature["error"] = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        if detail is not None:
            feature["detail"] = detail
        self.data["features"][name] = feature
        print(f"[{self.data['client']}] {name} ok={feature['ok']} {feature.get('error', '')}", file=sys.stderr, flush=True)
        return error is None

    def attempt(self, name, fn):
        """Runs fn(); an exception fails the feature (with its traceback on stderr)."""
        try:
            detail = fn()
        except Exception as error:  # the client's failure is the result we report
            traceback.print_exc()
            self.check(name, error)
            return False
        return self.check(name, None, detail)

    def unsupported(self, name, why):
        self.data["features"][name] = {"ok": False, "unsupported": why}

    def print(self):
        print(json.dumps(self.data), flush=True)


def payload(label, i):
    return f"{label}-{i}-" + "x" * 200


def verify_consumed(report, expected, seen):
    """expected: value -> feature. Marks the produce features whose records did not come back."""
    missing = {}
    for value, feature in expected.items():
        if value not in seen:
            missing[feature] = missing.get(feature, 0) + 1
    for feature, count in missing.items():
        report.check(feature, f"{count} produced records not consumed back")
    return missing
