"""Knowledge-base administration: administrators create, replace and delete exercises, muscles,
joint actions and tips through the API, one item at a time.

How API writes and the content loader (``spotter load-content``) share the tables:

* Bodies are the content files' own models (:mod:`app.content.schema`) and pass the loader's own
  cross-reference rules (:func:`app.content.files.check_item_against`), checked against what is
  stored; rows and link rows are built by the loader's helpers. An item written through the API
  is therefore stored exactly as the loader would store the same item from a file.
* Items created through the API get ``origin = api``. The loader only ever writes, updates or
  deletes curated rows (and rows whose slug a file item claims), so API-created items survive
  every load, unless the files later define the same slug: then the files win and the row
  becomes curated.
* Curated items may be edited through the API, but the files stay their source of truth: the row
  keeps ``origin = curated`` and the next load puts the file version back. A lasting change to a
  curated item is a change to its file.
* Deleting a curated item through the API takes it down until the next load, which recreates it
  from its file. Removing it for good means removing it from the files.
* Items imported from third-party datasets (``origin = free-exercise-db``) belong to their
  importer and are refused here (409): re-importing would silently undo the edit.
"""
