import Essentials
import Foundation
import Testing

@testable import EPGateway

/// The action API's own readers and writers, without a server: Solr's query syntax as CKAN's
/// clients send it, the filters a remote catalog is asked with (read back unchanged), and
/// datasets through CKAN's package dictionaries and back.
@Suite("CKAN action API")
struct ActionAPITests {
    @Test("q and fq: words, field clauses, quotes, escapes, AND and +; what is not supported is refused, not guessed")
    func solrQueries() throws {
        var query = SolrQuery()
        try query.add(#"Ocean-Temps AND +tags:buoy organization:"ocean lab" extras_site:north\ pole *:*"#)
        #expect(query.words == ["ocean", "temps"])
        #expect(query.filters == [.tag("buoy"), .organization("ocean lab"), .extra(key: "site", value: "north pole")])
        try query.add("type:dataset state:active name:*")
        #expect(!query.matchesNothing)
        try query.add("capacity:private res_format:CSV")
        #expect(query.filters.suffix(2) == [.isPrivate(true), .resourceFormat("CSV")])
        var harvest = SolrQuery()
        try harvest.add("type:harvest")
        #expect(harvest.matchesNothing)
        for refused in ["a OR b", "NOT a", "-tags:x", "(a b)", "colour:blue", "metadata_modified:[2020 TO *]", "name:x^2", #"name:"open"#] {
            var bad = SolrQuery()
            #expect(throws: ActionError.self, "\(refused)") { try bad.add(refused) }
        }
        #expect(try SolrQuery.order(nil) == [DatasetOrder(.modified, descending: true)])
        #expect(try SolrQuery.order("score desc, name asc,metadata_created desc") == [DatasetOrder(.name), DatasetOrder(.created, descending: true)])
        #expect(throws: ActionError.self) { try SolrQuery.order("name sideways") }
    }

    @Test("each filter a remote catalog is asked with reads back as the same filter, whatever its value holds")
    func filtersRoundTrip() throws {
        let values = ["plain", "two words", #"quote " inside"#, #"back\slash"#, "colon:inside", "ünïcode", "(paren)", "AND"]
        for value in values {
            let filters: [DatasetFilter] = [
                .id(value), .name(value), .organization(value), .tag(value), .group(value), .resourceFormat(value), .license(value),
                .extra(key: "site", value: value),
            ]
            for filter in filters {
                var query = SolrQuery()
                try query.add(CKANCatalogStore.clause(filter))
                #expect(query.filters == [filter], "\(CKANCatalogStore.clause(filter))")
            }
        }
        for isPrivate in [true, false] {
            var query = SolrQuery()
            try query.add(CKANCatalogStore.clause(.isPrivate(isPrivate)))
            #expect(query.filters == [.isPrivate(isPrivate)])
        }
    }

    @Test("a dataset through a package dictionary and back keeps every field, its extras' JSON types and its creator mark")
    func packagesRoundTrip() throws {
        // Times as the catalog keeps them (to the millisecond).
        let created = CatalogTime.parse("2027-01-15T08:00:00.250Z")
        let dataset = CatalogDataset(
            id: "d1", name: "ocean-temps", title: "Ocean temps", organization: "lab", notes: "buoys", tags: ["a", "b"], groups: ["g"],
            extras: [.init(key: "port", value: .number(9092)), .init(key: "mapping", value: ["k": "v"]), .init(key: "ndp_user_id", value: "u1")],
            resources: [
                CatalogResource(
                    id: "r1", url: "https://x/1.csv", name: "one", format: "CSV", description: "d", mimetype: "text/csv", size: 12, created: created)
            ], isPrivate: true, licenseID: "cc-by", version: "2", creator: "u1", created: created,
            modified: CatalogTime.parse("2027-01-15T08:01:00.125Z"))
        let organization = CatalogOrganization(id: "o1", name: "lab", title: "Lab", description: "", creator: nil, created: created)
        let package = PackageDictionary.package(dataset, organization: organization)
        #expect(package["owner_org"] == "o1" && package["organization"]?["name"] == "lab")
        let back = try #require(PackageDictionary.dataset(package))
        #expect(back == dataset)
        // For CKAN itself, which takes text only: other JSON values go as their JSON text.
        let forCKAN = PackageDictionary.packageData(dataset, includingID: true, stringExtras: true)
        #expect(
            forCKAN["extras"] == [
                ["key": "port", "value": "9092"], ["key": "mapping", "value": #"{"k":"v"}"#], ["key": "ndp_user_id", "value": "u1"],
            ])
        #expect(PackageDictionary.packageData(dataset, includingID: true)["extras"]?[0]?["value"] == 9092)
        // CKAN's own timestamps: microseconds and no zone.
        #expect(PackageDictionary.time("2027-01-15T08:00:00.250999") == PackageDictionary.time("2027-01-15T08:00:00.250+00:00"))
        #expect(PackageDictionary.time("2027-01-15T08:00:00") == CatalogTime.parse("2027-01-15T08:00:00.000Z"))
    }

    @Test("parameters: numbers and booleans spelled as text, rows capped, wrong types a validation error naming the field")
    func parameters() throws {
        let given = ActionParameters(values: ["rows": "5000", "start": 3, "private": "True", "q": 17, "sort": ["x"], "none": .null])
        #expect(try given.integer("rows", default: 10, range: 0...1000, capped: true) == 1000)
        #expect(try given.integer("start", default: 0, range: 0...10) == 3)
        #expect(try given.bool("private", default: false))
        #expect(try given.string("q") == "17")
        #expect(try given.string("none") == nil)
        #expect(throws: ActionError.validation("sort", "Must be a string")) { try given.string("sort") }
        #expect(throws: ActionError.validation("rows", "Must be an integer from 0 to 100")) { try given.integer("rows", default: 1, range: 0...100) }
        #expect(throws: ActionError.validation("id", "Missing value")) { try given.requiredString("id") }
    }
}
