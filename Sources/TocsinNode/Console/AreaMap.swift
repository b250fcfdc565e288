import Foundation
import TocsinCore

/// A bulletin's areas drawn as inline SVG, with no map tiles: CAP polygons
/// (`lat,lon lat,lon …`) and circles (`lat,lon radius-km`) on an equirectangular frame that
/// fits them, north up. Malformed coordinates are left out, never trusted.
struct AreaMap {
    struct Point {
        let latitude: Double
        let longitude: Double
    }

    var polygons: [[Point]] = []
    var circles: [(centre: Point, radiusKilometres: Double)] = []

    static let width = 480.0
    static let height = 300.0

    init(areas: [BulletinDraft.Area]) {
        for area in areas {
            for polygon in area.polygons ?? [] {
                let points = polygon.split(separator: " ").compactMap { Self.point(String($0)) }
                if points.count >= 3, points.count <= 10_000 { polygons.append(points) }
            }
            for circle in area.circles ?? [] {
                let parts = circle.split(separator: " ")
                guard parts.count == 2, let centre = Self.point(String(parts[0])), let radius = Double(parts[1]),
                    radius.isFinite, radius >= 0, radius <= 20_000
                else { continue }
                circles.append((centre, radius))
            }
        }
    }

    static func point(_ text: String) -> Point? {
        let parts = text.split(separator: ",")
        guard parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]),
            (-90...90).contains(latitude), (-180...180).contains(longitude)
        else { return nil }
        return Point(latitude: latitude, longitude: longitude)
    }

    func svg(caption: String, empty: String) -> String {
        guard !polygons.isEmpty || !circles.isEmpty else { return "<p>\(ConsolePages.escape(empty))</p>" }
        // The frame: every point and every circle's extent, with a margin.
        var (south, north, west, east) = (90.0, -90.0, 180.0, -180.0)
        func include(_ latitude: Double, _ longitude: Double) {
            south = min(south, latitude)
            north = max(north, latitude)
            west = min(west, longitude)
            east = max(east, longitude)
        }
        for polygon in polygons { for point in polygon { include(point.latitude, point.longitude) } }
        for circle in circles {
            let (latitudeSpan, longitudeSpan) = Self.spans(circle.centre, circle.radiusKilometres)
            include(circle.centre.latitude - latitudeSpan, circle.centre.longitude - longitudeSpan)
            include(circle.centre.latitude + latitudeSpan, circle.centre.longitude + longitudeSpan)
        }
        let margin = max(north - south, east - west, 0.01) * 0.08
        (south, north, west, east) = (south - margin, north + margin, west - margin, east + margin)
        let scale = min(Self.width / (east - west), Self.height / (north - south))
        func x(_ longitude: Double) -> String { String(format: "%.1f", (longitude - west) * scale) }
        func y(_ latitude: Double) -> String { String(format: "%.1f", (north - latitude) * scale) }
        var shapes = ""
        for polygon in polygons {
            let points = polygon.map { "\(x($0.longitude)),\(y($0.latitude))" }.joined(separator: " ")
            shapes +=
                "<polygon points=\"\(points)\" fill=\"#b30000\" fill-opacity=\"0.25\" stroke=\"#7a0000\" stroke-width=\"2\"/>"
        }
        for circle in circles {
            let (latitudeSpan, longitudeSpan) = Self.spans(circle.centre, circle.radiusKilometres)
            shapes +=
                "<ellipse cx=\"\(x(circle.centre.longitude))\" cy=\"\(y(circle.centre.latitude))\" rx=\"\(String(format: "%.1f", longitudeSpan * scale))\" ry=\"\(String(format: "%.1f", latitudeSpan * scale))\" fill=\"#0b3d91\" fill-opacity=\"0.2\" stroke=\"#0b3d91\" stroke-width=\"2\"/>"
        }
        let width = String(format: "%.0f", (east - west) * scale)
        let height = String(format: "%.0f", (north - south) * scale)
        let label = ConsolePages.escape(caption)
        return """
            <figure><svg class="map" role="img" aria-label="\(label)" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" xmlns="http://www.w3.org/2000/svg">\
            <title>\(label)</title>\(shapes)</svg><figcaption>\(label)</figcaption></figure>
            """
    }

    /// A circle's half-extent in degrees of latitude and of longitude.
    static func spans(_ centre: Point, _ radiusKilometres: Double) -> (Double, Double) {
        let latitudeSpan = radiusKilometres / 111.32
        let cosine = max(cos(centre.latitude * .pi / 180), 0.01)
        return (latitudeSpan, latitudeSpan / cosine)
    }
}
