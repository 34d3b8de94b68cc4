"""File imports: one importer registry for the bulk API and the upload page, mapping profiles
for other systems' exports, download templates, and receiving an upload.

The file readers and the runner (``files``, ``bulk``, ``xlsx`` …) still live in
``app/integration/`` and are imported from there.
"""
