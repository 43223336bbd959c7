"""What the SARIF 2.1.0 schema allows for each object the gate emits, and a checker."""

from __future__ import annotations

# Property names the SARIF 2.1.0 JSON schema allows for each object the gate emits (the schema sets
# "additionalProperties": false on all of them), with the required ones. Transcribed from the OASIS
# schema (sarif-schema-2.1.0.json, definitions.*.properties / required).
SARIF_OBJECTS = {
    "sarifLog": (
        {"$schema", "inlineExternalProperties", "properties", "runs", "version"},
        {"version", "runs"},
    ),
    "run": (
        {
            "addresses",
            "artifacts",
            "automationDetails",
            "baselineGuid",
            "columnKind",
            "conversion",
            "defaultEncoding",
            "defaultSourceLanguage",
            "externalPropertyFileReferences",
            "graphs",
            "invocations",
            "language",
            "logicalLocations",
            "newlineSequences",
            "originalUriBaseIds",
            "policies",
            "properties",
            "redactionTokens",
            "results",
            "runAggregates",
            "specialLocations",
            "taxonomies",
            "threadFlowLocations",
            "tool",
            "translations",
            "versionControlProvenance",
            "webRequests",
            "webResponses",
        },
        {"tool"},
    ),
    "tool": ({"driver", "extensions", "properties"}, {"driver"}),
    "toolComponent": (
        {
            "associatedComponent",
            "contents",
            "dottedQuadFileVersion",
            "downloadUri",
            "fullDescription",
            "fullName",
            "globalMessageStrings",
            "guid",
            "informationUri",
            "isComprehensive",
            "language",
            "localizedDataSemanticVersion",
            "locations",
            "minimumRequiredLocalizedDataSemanticVersion",
            "name",
            "notifications",
            "organization",
            "product",
            "productSuite",
            "properties",
            "releaseDateUtc",
            "rules",
            "semanticVersion",
            "shortDescription",
            "supportedTaxonomies",
            "taxa",
            "translationMetadata",
            "version",
        },
        {"name"},
    ),
    "reportingDescriptor": (
        {
            "defaultConfiguration",
            "deprecatedGuids",
            "deprecatedIds",
            "deprecatedNames",
            "fullDescription",
            "guid",
            "help",
            "helpUri",
            "id",
            "messageStrings",
            "name",
            "properties",
            "relationships",
            "shortDescription",
        },
        {"id"},
    ),
    "multiformatMessageString": ({"markdown", "properties", "text"}, {"text"}),
    "reportingConfiguration": ({"enabled", "level", "parameters", "properties", "rank"}, set()),
    "result": (
        {
            "analysisTarget",
            "attachments",
            "baselineState",
            "codeFlows",
            "correlationGuid",
            "fingerprints",
            "fixes",
            "graphTraversals",
            "graphs",
            "guid",
            "hostedViewerUri",
            "kind",
            "level",
            "locations",
            "message",
            "occurrenceCount",
            "partialFingerprints",
            "properties",
            "provenance",
            "rank",
            "relatedLocations",
            "rule",
            "ruleId",
            "ruleIndex",
            "stacks",
            "suppressions",
            "taxa",
            "webRequest",
            "webResponse",
            "workItemUris",
        },
        {"message"},
    ),
    "message": ({"arguments", "id", "markdown", "properties", "text"}, set()),
    "location": (
        {
            "annotations",
            "id",
            "logicalLocations",
            "message",
            "physicalLocation",
            "properties",
            "relationships",
        },
        set(),
    ),
    "physicalLocation": ({"address", "artifactLocation", "contextRegion", "properties", "region"}, set()),
    "artifactLocation": ({"description", "index", "properties", "uri", "uriBaseId"}, set()),
    "region": (
        {
            "byteLength",
            "byteOffset",
            "charLength",
            "charOffset",
            "endColumn",
            "endLine",
            "message",
            "properties",
            "snippet",
            "sourceLanguage",
            "startColumn",
            "startLine",
        },
        set(),
    ),
    "logicalLocation": (
        {"decoratedName", "fullyQualifiedName", "index", "kind", "name", "parentIndex", "properties"},
        set(),
    ),
    "runAutomationDetails": ({"correlationGuid", "description", "guid", "id", "properties"}, set()),
    "invocation": (
        {
            "account",
            "arguments",
            "commandLine",
            "endTimeUtc",
            "environmentVariables",
            "executableLocation",
            "executionSuccessful",
            "exitCode",
            "exitCodeDescription",
            "exitSignalName",
            "exitSignalNumber",
            "machine",
            "notificationConfigurationOverrides",
            "processId",
            "processStartFailureMessage",
            "properties",
            "responseFiles",
            "ruleConfigurationOverrides",
            "startTimeUtc",
            "stderr",
            "stdin",
            "stdout",
            "stdoutStderr",
            "toolConfigurationNotifications",
            "toolExecutionNotifications",
            "workingDirectory",
        },
        {"executionSuccessful"},
    ),
    "notification": (
        {
            "associatedRule",
            "descriptor",
            "exception",
            "level",
            "locations",
            "message",
            "properties",
            "threadId",
            "timeUtc",
        },
        {"message"},
    ),
}

SARIF_LEVELS = {"none", "note", "warning", "error"}


def sarif_conforms(obj, kind, path="$"):
    allowed, required = SARIF_OBJECTS[kind]
    assert isinstance(obj, dict), path
    assert set(obj) <= allowed, f"{path}: not allowed by the SARIF 2.1.0 schema: {set(obj) - allowed}"
    assert required <= set(obj), f"{path}: missing {required - set(obj)}"
    children = {
        "sarifLog": {"runs": ("run", True)},
        "run": {
            "tool": ("tool", False),
            "results": ("result", True),
            "automationDetails": ("runAutomationDetails", False),
            "invocations": ("invocation", True),
        },
        "tool": {"driver": ("toolComponent", False)},
        "toolComponent": {"rules": ("reportingDescriptor", True)},
        "reportingDescriptor": {
            "shortDescription": ("multiformatMessageString", False),
            "fullDescription": ("multiformatMessageString", False),
            "help": ("multiformatMessageString", False),
            "defaultConfiguration": ("reportingConfiguration", False),
        },
        "result": {"message": ("message", False), "locations": ("location", True)},
        "location": {
            "physicalLocation": ("physicalLocation", False),
            "logicalLocations": ("logicalLocation", True),
        },
        "physicalLocation": {"artifactLocation": ("artifactLocation", False), "region": ("region", False)},
        "invocation": {"toolExecutionNotifications": ("notification", True)},
        "notification": {"message": ("message", False)},
    }.get(kind, {})
    for key, (child, is_list) in children.items():
        if key in obj:
            for i, item in enumerate(obj[key] if is_list else [obj[key]]):
                sarif_conforms(item, child, f"{path}.{key}" + (f"[{i}]" if is_list else ""))
    if "level" in obj and kind in ("result", "reportingConfiguration", "notification"):
        assert obj["level"] in SARIF_LEVELS, path
    if kind == "region":
        assert isinstance(obj["startLine"], int) and obj["startLine"] >= 1
    if kind == "result":
        assert isinstance(obj["ruleIndex"], int) and obj["ruleIndex"] >= 0
        assert all(isinstance(v, str) for v in obj["partialFingerprints"].values())
