#!/usr/bin/python
# -*- coding: utf-8 -*-
# Part of Proxmox Game Deployer; the role's own module, run on the target by Ansible.

DOCUMENTATION = r"""
---
module: minecraft_properties
short_description: Set keys of a Minecraft server.properties in one pass
description:
  - Sets each given key on its own line, escaped the way java.util.Properties.store writes it
    (the way the server rewrites the file at every start), so a second run finds nothing to
    change. A key already there is replaced in place (its last occurrence, as lineinfile does);
    a missing one is appended. Other lines and keys are kept. The file is created (with the
    server's own header line) when missing.
  - One module run for all keys, where a lineinfile loop costs one run of Python on the target
    per key.
options:
  path:
    description: The server.properties file; its folder must exist.
    type: path
    required: true
  owner: {description: The file's owner., type: str, required: true}
  group: {description: The file's group., type: str, required: true}
  mode: {description: The file's mode, as octal text., type: str, required: true}
  properties:
    description: Keys and values to set; values are written as strings.
    type: dict
    required: true
  secret_properties:
    description: Keys whose values never appear in output or diffs (the RCON password).
    type: dict
    default: {}
"""

RETURN = r"""
changed_keys:
  description: The keys whose line was added or changed, in file order of the arguments.
  type: list
  elements: str
  returned: always
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

# java.util.Properties.store: these get a backslash; so does a leading space; and the control
# characters below are written as their escapes.
_SPECIAL = re.compile(r"([\\:=#!])")
_CONTROL = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}


def escape_value(value):
    text = _SPECIAL.sub(r"\\\1", value)
    text = "".join(_CONTROL.get(ch, ch) for ch in text)
    if text.startswith(" "):
        text = "\\" + text
    return text


def as_text(value):
    # Booleans as the server writes them; everything else as its string.
    if isinstance(value, bool):
        return "true" if value else "false"
    return to_text(value)


def apply(lines, wanted):
    """Returns the new lines and the keys whose line changed."""
    changed = []
    for key, value in wanted:
        line = "%s=%s" % (key, escape_value(value))
        prefix = key + "="
        at = None
        for i in range(len(lines) - 1, -1, -1):
            if lines[i].startswith(prefix):
                at = i
                break
        if at is None:
            lines.append(line)
            changed.append(key)
        elif lines[at] != line:
            lines[at] = line
            changed.append(key)
    return lines, changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            properties=dict(type="dict", required=True),
            secret_properties=dict(type="dict", default={}, no_log=True),
            owner=dict(type="str", required=True),
            group=dict(type="str", required=True),
            mode=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    public = module.params["properties"]
    secret = module.params["secret_properties"] or {}
    for key in list(public) + list(secret):
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", key):
            module.fail_json(msg="%s is not a server.properties key" % key)
    if not os.path.isdir(os.path.dirname(path) or "."):
        module.fail_json(msg="the folder of %s does not exist" % path)

    before = "#Minecraft server properties\n"
    created = not os.path.isfile(path)
    if not created:
        with open(path, "rb") as f:
            before = to_text(f.read(), errors="surrogate_or_strict")
    lines = before.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    wanted = [(k, as_text(v)) for k, v in public.items()] + [
        (k, as_text(v)) for k, v in secret.items()
    ]
    lines, changed = apply(lines, wanted)
    result = dict(changed=bool(changed) or created, changed_keys=changed)
    if (changed or created) and not module.check_mode:
        after = "\n".join(lines) + "\n"
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".properties.")
        with os.fdopen(fd, "wb") as f:
            f.write(to_bytes(after))
        # atomic_move keeps an existing file's owner, group and mode; a new one gets them below.
        module.atomic_move(tmp, path)
    if not module.check_mode or not created:
        attrs = module.load_file_common_arguments(module.params)
        result["changed"] = module.set_fs_attributes_if_different(attrs, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
