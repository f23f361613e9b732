-- A crop keeps its box (in upright pixels) so that regenerating versions can render it again.
ALTER TABLE image_versions ADD COLUMN box TEXT;  -- JSON {"x", "y", "width", "height"}; crops only
