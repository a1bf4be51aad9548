import Pipeline

/// Reading and checking a `[[rules]]` entry of the configuration (the rule itself lives in
/// `Pipeline`, which routes with it).
extension Rule {
    static let keys = ["analyzer", "modality", "body_part", "series_description", "min_slice_thickness",
                       "max_slice_thickness", "image_type", "region", "contrast_phase"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        guard let analyzers = try r.strings("analyzer", ConfigCheck.analyzer, acceptsSingle: true, nonEmpty: true) else {
            throw .invalid(r.fullKey("analyzer"), "is required (one of \(Rule.analyzers.joined(separator: ", ")), or a list)")
        }
        if analyzers.count > 1 && analyzers.contains("none") {
            throw .invalid(r.fullKey("analyzer"), "\"none\" cannot be listed with analyzers")
        }
        self.init(analyzers: analyzers,
                  modality: try r.string("modality", ConfigCheck.nonEmpty),
                  bodyPart: try r.strings("body_part", ConfigCheck.nonEmpty, acceptsSingle: true, nonEmpty: true),
                  seriesDescription: try r.string("series_description", ConfigCheck.regex),
                  minSliceThickness: try r.number("min_slice_thickness", ConfigCheck.positive),
                  maxSliceThickness: try r.number("max_slice_thickness", ConfigCheck.positive),
                  imageType: try r.strings("image_type", ConfigCheck.nonEmpty, acceptsSingle: true, nonEmpty: true),
                  region: try r.strings("region", ConfigCheck.region, acceptsSingle: true, nonEmpty: true),
                  contrastPhase: try r.strings("contrast_phase", ConfigCheck.contrastPhase, acceptsSingle: true,
                                               nonEmpty: true))
        if let lo = minSliceThickness, let hi = maxSliceThickness, lo > hi {
            throw .invalid(r.fullKey("min_slice_thickness"), "must not exceed max_slice_thickness (\(lo) > \(hi))")
        }
    }

    func validate(key: String) throws(ConfigError) {
        if analyzers.isEmpty { throw .invalid(key + ".analyzer", "must not be an empty array") }
        for (i, a) in analyzers.enumerated() {
            try ConfigCheck.analyzer.validate(a, key: key + (analyzers.count > 1 ? ".analyzer[\(i)]" : ".analyzer"))
        }
        if let modality { try ConfigCheck.nonEmpty.validate(modality, key: key + ".modality") }
        if let bodyPart {
            if bodyPart.isEmpty { throw .invalid(key + ".body_part", "must not be an empty array") }
            for (i, part) in bodyPart.enumerated() {
                try ConfigCheck.nonEmpty.validate(part, key: key + ".body_part[\(i)]")
            }
        }
        for (name, values, check) in [("region", region, ConfigCheck.region),
                                      ("contrast_phase", contrastPhase, ConfigCheck.contrastPhase)] {
            guard let values else { continue }
            if values.isEmpty { throw .invalid(key + "." + name, "must not be an empty array") }
            for (i, v) in values.enumerated() { try check.validate(v, key: key + ".\(name)[\(i)]") }
        }
        if let seriesDescription {
            try ConfigCheck.regex.validate(seriesDescription, key: key + ".series_description")
        }
    }
}
