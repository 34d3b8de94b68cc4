"""What can be imported and how: one importer registry for the bulk API and the upload page,
mapping profiles for other systems' exports, and download templates. How any file is received,
read and run through an importer is ``app/uploads``.
"""
