#!/usr/bin/python
# -*- coding: utf-8 -*-
# Part of Proxmox Game Deployer; the role's own module, run on the target by Ansible.

DOCUMENTATION = r"""
---
module: minecraft_files
short_description: Write several small files in one pass
description:
  - Writes each file whose content, owner, group or mode differs from what is asked, atomically
    (a temporary file in the same folder, then a rename), and says which ones changed.
  - One module run for the server's small files (EULA, player lists, systemd unit), where one
    copy or template task each costs several runs of Python on the target.
options:
  files:
    description: The files to write.
    type: list
    elements: dict
    required: true
    suboptions:
      path: {description: Where the file goes., type: path, required: true}
      content: {description: Its whole content., type: str, required: true}
      owner: {description: Its owner., type: str, required: true}
      group: {description: Its group., type: str, required: true}
      mode: {description: Its mode, as octal text., type: str, required: true}
"""

RETURN = r"""
changed_paths:
  description: The files written or whose owner, group or mode was set, in the order given.
  type: list
  elements: str
  returned: always
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes


def write(module, entry):
    """Writes one file if needed; True when anything about it changed."""
    path = entry["path"]
    wanted = to_bytes(entry["content"], errors="surrogate_or_strict")
    current = None
    if os.path.isfile(path):
        with open(path, "rb") as f:
            current = f.read()
    changed = current != wanted
    if changed and not module.check_mode:
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            module.fail_json(msg="the folder of %s does not exist" % path)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".pgd.")
        with os.fdopen(fd, "wb") as f:
            f.write(wanted)
        module.atomic_move(tmp, path)
    if module.check_mode and current is None:
        return True
    attrs = module.load_file_common_arguments(entry)
    return module.set_fs_attributes_if_different(attrs, changed)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    path=dict(type="path", required=True),
                    content=dict(type="str", required=True),
                    owner=dict(type="str", required=True),
                    group=dict(type="str", required=True),
                    mode=dict(type="str", required=True),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    changed = [e["path"] for e in module.params["files"] if write(module, e)]
    module.exit_json(changed=bool(changed), changed_paths=changed)


if __name__ == "__main__":
    main()
