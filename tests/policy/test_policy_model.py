"""The rule model: production detection and the reasons messages give for it; a Rule's validators and
its dispatch on the type."""

from __future__ import annotations

import pytest

from support.policy_rules import SECRET, SECRET_ENVELOPE, R, check


def test_stack_label_says_why_the_stack_is_production():
    label = R.RuleContext(
        stack="dev", stack_config={"secure-scoring:environment": "production"}
    ).stack_label()
    assert label == "stack 'dev' is a production stack via secure-scoring:environment"
    label = R.RuleContext(
        stack="live", stack_config={"secure-scoring:productionStacks": "live"}
    ).stack_label()
    assert label == "stack 'live' is a production stack, listed in secure-scoring:productionStacks"
    assert R.RuleContext(stack="production").stack_label() == "stack 'production' is a production stack"
    [f] = check(
        "no-self-signed-in-production",
        R.TLS_SELF_SIGNED,
        {},
        stack="dev",
        stack_config={"secure-scoring:environment": "production"},
    )
    assert (
        f.message
        == "pulumi-tls SelfSignedCert is self-signed (stack 'dev' is a production stack via secure-scoring:environment)"
    )


# --------------------------------------------------------------------------------------------- production
@pytest.mark.parametrize(
    ("stack", "stack_config", "expected"),
    [
        ("production", {}, True),
        ("prod", {}, True),
        ("Production", {}, True),
        ("acme/scoring/production", {}, True),
        ("dev", {}, False),
        ("staging", {}, False),
        ("dev", {"secure-scoring:environment": "production"}, True),
        ("stack", {}, None),
        (None, {}, None),
        ("", {}, None),
        ("live", {"secure-scoring:productionStacks": '["live", "prod-eu"]'}, True),
        # the list adds names: `production` and `prod` stay production whatever it says
        ("production", {"secure-scoring:productionStacks": "live,prod-eu"}, True),
        ("prod", {"secure-scoring:productionStacks": "[]"}, True),
        ("dev", {"secure-scoring:productionStacks": "live,prod-eu"}, False),
        ("prod-eu", {"secure-scoring:productionStacks": "live, prod-eu"}, True),
    ],
)
def test_production_detection(stack, stack_config, expected):
    c = R.RuleContext(stack=stack, stack_config=stack_config)
    assert c.stack_production() is expected
    assert c.is_production() is (expected is not False)  # unknown stack: fail closed
    levels = {r.name: R.enforcement_for(r, c) for r in R.RULES}
    production_only = {"no-self-signed-in-production", "auth-required"}
    for name, level in levels.items():
        assert level == ("advisory" if name in production_only and expected is False else "mandatory")


def test_component_environment_makes_a_resource_production():
    c = R.RuleContext(stack="dev")
    assert c.is_production() is False and c.is_production("production") is True


# --------------------------------------------------------------------------------------------- Rule
def test_a_rule_has_validators_or_a_stack_validator_not_both():
    from secure_scoring.policy.model import Rule

    def v(*_a):
        return []

    with pytest.raises(ValueError, match="not both"):
        Rule("x", "d", "r", "low", validators={"t": v}, stack_validator=v)
    with pytest.raises(ValueError, match="not both"):
        Rule("x", "d", "r", "low")
    with pytest.raises(ValueError, match="severity"):
        Rule("x", "d", "r", "urgent", validators={"t": v})
    assert Rule("x", "d", "r", "low", validators={"t": v}).kind == "resource"
    assert Rule("x", "d", "r", "low", stack_validator=v, stack_types=("t",)).resource_types == ("t",)


def test_check_dispatches_on_the_type_and_hands_plain_props():
    from secure_scoring.policy.model import Rule, RuleViolation

    seen = []

    def validate(props, ctx):
        seen.append(props)
        return [RuleViolation("x", "m")]

    rule = Rule("x", "d", "r", "low", validators={"a:b:C": validate})
    assert rule.check("other:type:T", {"k": 1.0}, R.RuleContext()) == []
    assert rule.check("a:b:C", {"k": SECRET_ENVELOPE}, R.RuleContext()) == [RuleViolation("x", "m")]
    assert seen == [{"k": SECRET}]  # the secret envelope unwrapped once, before the validator


def test_a_stack_rule_sees_only_the_types_it_reads():
    from secure_scoring.policy.model import Rule

    seen = []
    rule = Rule(
        "x", "d", "r", "low", stack_validator=lambda res, ctx: seen.extend(res) or [], stack_types=("a",)
    )
    rule.check(
        [R.StackResource("a", "n", "u", {"v": 1}), R.StackResource("b", "m", "w", {})], R.RuleContext()
    )
    assert [(r.type, r.name) for r in seen] == [("a", "n")]


def test_production_names_come_from_facts():
    from secure_scoring import facts

    assert (
        R.RuleContext(stack="dev").production_stacks()[: len(facts.PRODUCTION_NAMES)]
        == facts.PRODUCTION_NAMES
    )
    for name in facts.PRODUCTION_NAMES:
        assert R.RuleContext(
            stack="dev", stack_config={f"{facts.CONFIG_NAMESPACE}:environment": name.upper()}
        ).is_production()
    assert (
        R.RuleContext(stack="dev").production_label(" Prod ")
        == "the resource declares environment production"
    )
